package batch

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/mac"
	"github.com/sscard/sscard/sm4"
)

// chunkRecords is how many records a worker takes at a time.
const chunkRecords = 1024

// master is a master key with its precomputed schedules.
type master struct {
	id      int32
	seed    uint64 // of the parent-key cache's hash, from id
	usage   Usage
	alg     diversify.Alg
	version uint8
	levels  int
	key     [16]byte
	sm4     sm4.Schedule // SM4: schedule of key
	tdes    des.Triple   // 3DES: schedule of key
	// levels == 0, SM4 lanes: the card key is key itself; the lanes always
	// diversify once, so they get it as SM4(zeroKey, div0) with
	// div0 = SM4^-1(zeroKey, key).
	div0  [16]byte
	div0w [4]uint32 // div0 as big-endian words
	// dk: 3DES keys of level 1, the parent of the card level in the 3DES
	// lanes, key scheduled for asm.DESFused.Shared (dkReady).
	dk      asm.DESKey
	dkReady bool
	// tac0: 3DES keys of level 0 (the card key itself), the DES schedule
	// of the TAC key key[0:8]^key[8:16].
	tac0 des.Schedule
}

func (m *master) wipe() {
	clear(m.key[:])
	m.sm4.Wipe()
	m.tdes.Wipe()
	m.dk.Wipe()
	m.dkReady = false
	m.tac0.Wipe()
	clear(m.div0[:])
	clear(m.div0w[:])
}

// Verifier verifies records against a key set. Build it with NewVerifier
// and Close it when done. Its methods are safe for concurrent use; calls run
// one at a time, each on all workers.
type Verifier struct {
	mu      sync.Mutex
	closed  bool
	profile *mac.Profile
	scalar  bool
	// laneTAC: the SM4 TAC can run in the lanes (profile key rule KeyAsIs).
	laneTAC bool
	// laneDES: 3DES records of keys of level >= 1 run in the 3DES lanes
	// (the profile's padding fits them).
	laneDES bool
	masters []master
	// index[usage][alg][version] is 1 + the index in masters, 0 for none
	// (alg is 1 or 2; 4 rows keep the lookup free of a modulo).
	index [UsageOverdraw + 1][4][256]int16

	workers []*worker
	wake    []chan struct{}
	done    sync.WaitGroup // per call
	exited  sync.WaitGroup // helper goroutines
	job     job
	// stream is the scratch of the last VerifyStream call, kept for the
	// next; nil when none is kept or taken by a call in progress.
	stream atomic.Pointer[streamState]
}

// job is the call in progress.
type job struct {
	done    <-chan struct{}
	records []Record
	results []Result
	lines   *lineBatch // streaming: parse lines first
	n       int
	helpers int // helper workers woken
	// format: the stream batch verified the round before, whose results
	// the workers format (in chunks, before they take records).
	format       *streamSlot
	formatChunks int
	nextFormat   atomic.Int64
	next         atomic.Int64
	stopped      atomic.Bool
	ctx          context.Context
}

// zeroSchedule is the schedule of the all-zero key, the stand-in parent of
// level-0 SM4 keys in the lanes.
var zeroSchedule = func() (s sm4.Schedule) {
	var z [16]byte
	s.Init(&z)
	return
}()

// NewVerifier builds a Verifier from a key set (validated first, see
// KeySet.Validate) and starts its workers. The Verifier keeps its own copy
// of the keys; ks may be wiped afterwards. opts may be nil.
func NewVerifier(ks *KeySet, opts *Options) (*Verifier, error) {
	if err := ks.Validate(); err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Workers > MaxWorkers {
		return nil, fmt.Errorf("%w: %d workers, more than MaxWorkers (%d)", ErrOptions, o.Workers, MaxWorkers)
	}
	if o.Workers <= 0 {
		o.Workers = min(runtime.GOMAXPROCS(0), MaxWorkers)
	}
	if o.CacheEntries <= 0 {
		o.CacheEntries = 4096
	}
	p := ks.Profile
	v := &Verifier{
		profile: p,
		scalar:  o.Scalar,
		laneTAC: p.SM4TACKey == mac.KeyAsIs,
		laneDES: desLanesFit(p),
		masters: make([]master, len(ks.Keys)),
	}
	for i := range ks.Keys {
		k := &ks.Keys[i]
		m := &v.masters[i]
		*m = master{id: int32(i), seed: uint64(i+1) * 0x9e3779b97f4a7c15, usage: k.Usage, alg: k.Alg, version: k.Version, levels: k.Levels, key: k.Key}
		if k.Alg == diversify.SM4 {
			m.sm4.Init(&m.key)
			zeroSchedule.Decrypt(&m.div0, &m.key)
			for j := range m.div0w {
				m.div0w[j] = be32(m.div0[4*j:])
			}
		} else {
			m.tdes.Init(&m.key)
			switch m.levels {
			case 0:
				var tk [8]byte
				for j := range tk {
					tk[j] = m.key[j] ^ m.key[8+j]
				}
				m.tac0.Init(&tk)
				clear(tk[:])
			case 1:
				m.dk.Init(&m.key)
				m.dkReady = true
			}
		}
		v.index[k.Usage][k.Alg][k.Version] = int16(i + 1)
	}
	v.workers = make([]*worker, o.Workers)
	for i := range v.workers {
		v.workers[i] = newWorker(v, o.CacheEntries)
	}
	v.wake = make([]chan struct{}, o.Workers)
	for i := 1; i < o.Workers; i++ {
		v.wake[i] = make(chan struct{})
		v.exited.Add(1)
		go v.helper(i)
	}
	return v, nil
}

// helper is the loop of worker i > 0: it runs the current job each time it
// is woken, until Close closes its channel.
func (v *Verifier) helper(i int) {
	defer v.exited.Done()
	w := v.workers[i]
	for range v.wake[i] {
		v.runJob(w)
		v.done.Done()
	}
}

// Profile returns the profile of the key set.
func (v *Verifier) Profile() *mac.Profile { return v.profile }

// Workers returns the number of workers (goroutines Verify uses, the
// caller's included).
func (v *Verifier) Workers() int { return len(v.workers) }

// Close stops the workers and wipes every key the Verifier holds (master
// keys, cached parent keys, lane scratch). It is idempotent; calls after it
// return ErrClosed.
func (v *Verifier) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil
	}
	v.closed = true
	for i := 1; i < len(v.wake); i++ {
		close(v.wake[i])
	}
	v.exited.Wait()
	for i := range v.masters {
		v.masters[i].wipe()
	}
	for _, w := range v.workers {
		w.wipe()
	}
	v.stream.Store(nil)
	return nil
}

// Verify verifies records[i] into results[i] for every i, on all workers.
// It returns ErrShortResults if results is shorter than records, ErrClosed
// after Close; record-level problems are reported in the results, never as
// an error. In steady state it allocates nothing.
func (v *Verifier) Verify(records []Record, results []Result) error {
	return v.VerifyContext(context.Background(), records, results)
}

// VerifyContext is Verify with cancellation: when ctx is done, workers stop
// at the next chunk boundary and ctx.Err() is returned; results are then
// incomplete and must be discarded. No goroutine outlives the call.
func (v *Verifier) VerifyContext(ctx context.Context, records []Record, results []Result) error {
	if len(results) < len(records) {
		return ErrShortResults
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return ErrClosed
	}
	return v.run(ctx, records, results[:len(records)], nil)
}

// run dispatches one job over the workers and waits for it; v.mu is held.
func (v *Verifier) run(ctx context.Context, records []Record, results []Result, lines *lineBatch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v.start(ctx, records, results, lines, nil)
	return v.join()
}

// start makes records (or lines) the current job, with the results of
// format to format first (VerifyStream), and wakes the helper workers on
// it; the caller's worker joins it in join, which must follow
// (v.mu is held from start to join). In between, the caller may do other
// work: VerifyStream reads and writes while the helpers verify.
func (v *Verifier) start(ctx context.Context, records []Record, results []Result, lines *lineBatch, format *streamSlot) {
	j := &v.job
	j.ctx, j.done = ctx, ctx.Done()
	j.records, j.results, j.lines, j.n = records, results, lines, len(records)
	j.format, j.formatChunks = format, 0
	if format != nil {
		j.formatChunks = format.chunks()
	}
	j.next.Store(0)
	j.nextFormat.Store(0)
	j.stopped.Store(false)
	chunks := (j.n+chunkRecords-1)/chunkRecords + j.formatChunks
	j.helpers = min(len(v.workers), chunks) - 1
	if j.helpers > 0 {
		v.done.Add(j.helpers)
		for i := 1; i <= j.helpers; i++ {
			v.wake[i] <- struct{}{}
		}
	}
}

// join runs the current job on the caller's worker until no chunk is
// left, waits for the helpers and returns the context's error if the job
// was cancelled.
func (v *Verifier) join() error {
	j := &v.job
	v.runJob(v.workers[0])
	if j.helpers > 0 {
		v.done.Wait()
	}
	var err error
	if j.stopped.Load() {
		err = j.ctx.Err()
	}
	j.records, j.results, j.lines, j.ctx, j.done, j.format = nil, nil, nil, nil, nil, nil
	return err
}

// runJob takes chunks of the current job until none is left or the job is
// cancelled, then runs the worker's pending lanes.
func (v *Verifier) runJob(w *worker) {
	j := &v.job
	defer w.finish()
	if j.format != nil {
		for c := int(j.nextFormat.Add(1)) - 1; c < j.formatChunks; c = int(j.nextFormat.Add(1)) - 1 {
			j.format.formatChunk(c)
		}
	}
	for {
		if j.done != nil {
			select {
			case <-j.done:
				j.stopped.Store(true)
				return
			default:
			}
		}
		lo := int(j.next.Add(chunkRecords)) - chunkRecords
		if lo >= j.n {
			return
		}
		hi := min(lo+chunkRecords, j.n)
		w.chunk(j, lo, hi)
	}
}
