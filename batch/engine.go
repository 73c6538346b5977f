package batch

import (
	"crypto/subtle"
	"encoding/binary"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/mac"
	"github.com/sscard/sscard/sm4"
)

// nShared is the number of batches per lane group bound to one parent key
// (Fused.Shared); lanes of other parents go to the group's mixed batch,
// which carries a parent key per lane.
const nShared = 4

// mergeBelow: when a window ends, a shared batch with fewer lanes than this
// is moved into the mixed batch rather than run on its own (a kernel call
// costs about the same for 1 lane as for 64).
const mergeBelow = 16

// cacheEntry is a derived parent key of the card level.
type cacheEntry struct {
	id     uint64 // unique per fill; 0 = empty
	master int32
	n      uint8
	prefix [MaxFactors - 1]diversify.Factor
	key    [16]byte
	sm4    sm4.Schedule
	tdes   des.Triple
}

// parentRef identifies the parent key of the card level of one record.
type parentRef struct {
	pid   uint64 // identity: equal pids mean equal parents
	key   *[16]byte
	sched *sm4.Schedule
}

// laneDest says where a lane's result goes.
type laneDest struct {
	idx   int32
	field Field
	want  uint32
}

// laneBatch is one asm.Fused call being filled.
type laneBatch struct {
	f     asm.Fused
	pid   uint64 // shared batches: the parent bound to it, 0 = free
	pkey  [16]byte
	sched sm4.Schedule
	dest  [asm.MaxLanes]laneDest
}

// laneGroup holds the batches of one pipeline shape: with session key (MAC1,
// MAC2, MAC3) or without (TAC).
type laneGroup struct {
	shared [nShared]laneBatch
	mixed  laneBatch
}

// worker is the state of one worker: parent-key cache, lane batches and
// scratch. Only its own goroutine touches it.
type worker struct {
	v       *Verifier
	results []Result
	cache   []cacheEntry
	mask    uint64
	nextID  uint64
	sess    laneGroup
	tac     laneGroup
	txn     txn
	fs      [MaxFactors]diversify.Factor
}

func newWorker(v *Verifier, entries int) *worker {
	n := 1
	for n < entries {
		n <<= 1
	}
	w := &worker{v: v, cache: make([]cacheEntry, n), mask: uint64(n - 1), nextID: 1 << 32}
	w.sess.init(true)
	w.tac.init(false)
	return w
}

func (g *laneGroup) init(session bool) {
	for i := range g.shared {
		g.shared[i].f.Session = session
	}
	g.mixed.f.Session = session
}

func (g *laneGroup) wipe() {
	for i := range g.shared {
		g.shared[i] = laneBatch{f: asm.Fused{Session: g.shared[i].f.Session}}
	}
	g.mixed = laneBatch{f: asm.Fused{Session: g.mixed.f.Session}}
}

func (w *worker) wipe() {
	for i := range w.cache {
		w.cache[i] = cacheEntry{}
	}
	w.sess.wipe()
	w.tac.wipe()
	w.txn = txn{}
}

// chunk verifies records lo..hi-1 of the job (parsing their lines first
// when streaming).
func (w *worker) chunk(j *job, lo, hi int) {
	w.results = j.results
	for i := lo; i < hi; i++ {
		r := &j.records[i]
		res := &j.results[i]
		if j.lines != nil {
			if err := j.lines.parse(i, r); err != nil {
				*res = Result{Status: StatusMalformed, Err: err}
				continue
			}
		}
		w.record(i, r, res)
	}
	w.flush(&w.sess)
	w.flush(&w.tac)
	w.results = nil
}

// record verifies one record, or queues its lanes.
func (w *worker) record(i int, r *Record, res *Result) {
	*res = Result{}
	if err := r.validate(); err != nil {
		*res = Result{Status: StatusMalformed, Err: err}
		return
	}
	v := w.v
	fields := r.Present & kindFields(r.Kind)
	var sk, tk *master
	if fields&sessionFields != 0 {
		u := sessionUsage(r.Kind)
		if sk = v.lookup(u, r.Alg, r.KeyVersion); sk == nil {
			*res = Result{Status: StatusUnknownKey, Err: unknownKeyErr(u, r.Alg)}
			return
		}
	}
	if fields&FieldTAC != 0 {
		if tk = v.lookup(UsageTAC, r.Alg, r.KeyVersion); tk == nil {
			*res = Result{Status: StatusUnknownKey, Err: unknownKeyErr(UsageTAC, r.Alg)}
			return
		}
	}
	if (sk != nil && sk.levels != int(r.NFactors)) || (tk != nil && tk.levels != int(r.NFactors)) {
		*res = Result{Status: StatusMalformed, Err: ErrLevels}
		return
	}
	fs := r.Factors[:r.NFactors]
	if v.profile.FactorOrder == mac.LowestFirst {
		n := copy(w.fs[:], fs)
		diversify.Reverse(w.fs[:n])
		fs = w.fs[:n]
	}
	if r.Alg != diversify.SM4 || v.scalar {
		w.scalar(r, res, fields, sk, tk, fs)
		return
	}
	var msg msgBuf
	if sk != nil {
		par := w.parent(sk, fs)
		div := divBlock(sk, fs)
		sess := sessionWords(v.profile.SM4Session, r)
		for _, f := range [...]Field{FieldMAC1, FieldMAC2, FieldMAC3} {
			if fields&f == 0 {
				continue
			}
			r.encode(f, &msg)
			nb := msg.pad(v.profile.Padding)
			w.addLane(&w.sess, int32(i), f, r.want(f), &par, &div, &sess, &msg, nb)
		}
	}
	if tk != nil {
		if !v.laneTAC {
			w.scalar(r, res, FieldTAC, nil, tk, fs)
			return
		}
		par := w.parent(tk, fs)
		div := divBlock(tk, fs)
		r.encode(FieldTAC, &msg)
		nb := msg.pad(v.profile.Padding)
		w.addLane(&w.tac, int32(i), FieldTAC, &r.TAC, &par, &div, nil, &msg, nb)
	}
}

// divBlock returns the input block of the card-level diversification, as
// big-endian words.
func divBlock(m *master, fs []diversify.Factor) [4]uint32 {
	if m.levels == 0 {
		return m.div0w
	}
	f := &fs[len(fs)-1]
	w0, w1 := be32(f[0:4]), be32(f[4:8])
	return [4]uint32{w0, w1, ^w0, ^w1}
}

// sessionWords returns the SM4 session-key input block of r under rule, as
// big-endian words.
func sessionWords(rule mac.SessionRule, r *Record) [4]uint32 {
	w0 := be32(r.Random[:])
	var w1 uint32
	if isPurchaseKind(r.Kind) {
		w1 = uint32(r.OfflineSeq)<<16 | uint32(r.TermSeq[2])<<8 | uint32(r.TermSeq[3])
	} else {
		w1 = uint32(r.OnlineSeq)<<16 | 0x8000
	}
	switch rule {
	case mac.SessionZeroPad:
		return [4]uint32{w0, w1, 0, 0}
	case mac.SessionPad80:
		return [4]uint32{w0, w1, 0x80000000, 0}
	}
	return [4]uint32{w0, w1, ^w0, ^w1}
}

var zeroKey [16]byte

// parent returns the parent key of the card level below master m for the
// factors fs (len(fs) == m.levels).
func (w *worker) parent(m *master, fs []diversify.Factor) parentRef {
	switch m.levels {
	case 0:
		return parentRef{pid: 1, key: &zeroKey, sched: &zeroSchedule}
	case 1:
		return parentRef{pid: 2 + uint64(m.id), key: &m.key, sched: &m.sm4}
	}
	e := w.lookupCache(m, fs[:len(fs)-1])
	return parentRef{pid: e.id, key: &e.key, sched: &e.sm4}
}

// lookupCache returns the cache entry holding the key reached from m
// through prefix, deriving it on a miss.
func (w *worker) lookupCache(m *master, prefix []diversify.Factor) *cacheEntry {
	h := uint64(m.id+1) * 0x9e3779b97f4a7c15
	for i := range prefix {
		h ^= binary.LittleEndian.Uint64(prefix[i][:])
		h *= 0xff51afd7ed558ccd
		h ^= h >> 29
	}
	e := &w.cache[(h^h>>32)&w.mask]
	if e.id != 0 && e.master == m.id && int(e.n) == len(prefix) {
		hit := true
		for i := range prefix {
			if e.prefix[i] != prefix[i] {
				hit = false
				break
			}
		}
		if hit {
			return e
		}
	}
	w.nextID++
	e.id = w.nextID
	e.master = m.id
	e.n = uint8(len(prefix))
	copy(e.prefix[:], prefix)
	var k [16]byte
	if m.alg == diversify.SM4 {
		diversify.SM4ChildSchedule(&k, &m.sm4, &prefix[0])
		for i := 1; i < len(prefix); i++ {
			diversify.SM4Child(&k, &k, &prefix[i])
		}
		e.sm4.Init(&k)
	} else {
		diversify.TDESChildSchedule(&k, &m.tdes, &prefix[0])
		for i := 1; i < len(prefix); i++ {
			diversify.TDESChild(&k, &k, &prefix[i])
		}
		e.tdes.Init(&k)
	}
	e.key = k
	clear(k[:])
	return e
}

// cardKey derives the card key below m for the factors fs.
func (w *worker) cardKey(dst *[16]byte, m *master, fs []diversify.Factor) {
	if m.levels == 0 {
		*dst = m.key
		return
	}
	last := &fs[len(fs)-1]
	if m.alg == diversify.SM4 {
		s := &m.sm4
		if m.levels > 1 {
			s = &w.lookupCache(m, fs[:len(fs)-1]).sm4
		}
		diversify.SM4ChildSchedule(dst, s, last)
		return
	}
	t := &m.tdes
	if m.levels > 1 {
		t = &w.lookupCache(m, fs[:len(fs)-1]).tdes
	}
	diversify.TDESChildSchedule(dst, t, last)
}

// scalar verifies the fields of r through package mac: session MACs under
// the card key below sk, the TAC under the card key below tk.
func (w *worker) scalar(r *Record, res *Result, fields Field, sk, tk *master, fs []diversify.Factor) {
	p := w.v.profile
	tr := w.txn.set(r)
	var key [16]byte
	if sk != nil && fields&sessionFields != 0 {
		w.cardKey(&key, sk, fs)
		s, err := mac.NewSession(p, r.Alg, &key, tr)
		if err != nil {
			*res = Result{Status: StatusMalformed, Err: ErrMalformed}
			clear(key[:])
			return
		}
		if fields&FieldMAC1 != 0 {
			m := s.MAC1(tr)
			w.compare(res, &m, &r.MAC1, FieldMAC1)
		}
		if fields&FieldMAC2 != 0 {
			m := s.MAC2(tr)
			w.compare(res, &m, &r.MAC2, FieldMAC2)
		}
		if fields&FieldMAC3 != 0 {
			m, _ := s.MAC3(tr)
			w.compare(res, &m, &r.MAC3, FieldMAC3)
		}
		s.Wipe()
	}
	if tk != nil && fields&FieldTAC != 0 {
		w.cardKey(&key, tk, fs)
		m, err := mac.TAC(p, r.Alg, &key, tr)
		if err != nil {
			*res = Result{Status: StatusMalformed, Err: ErrMalformed}
			clear(key[:])
			return
		}
		w.compare(res, &m, &r.TAC, FieldTAC)
	}
	clear(key[:])
}

// compare records a mismatch of field f in res; the comparison is constant
// time.
func (w *worker) compare(res *Result, got, want *[mac.Size]byte, f Field) {
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		res.Status = StatusMismatch
		res.Fields |= f
	}
}

func setLaneW(b *asm.Blocks, lane int, w *[4]uint32) {
	b.W[0][lane] = w[0]
	b.W[1][lane] = w[1]
	b.W[2][lane] = w[2]
	b.W[3][lane] = w[3]
}

func setLane(b *asm.Blocks, lane int, p *[16]byte) {
	b.W[0][lane] = binary.BigEndian.Uint32(p[0:])
	b.W[1][lane] = binary.BigEndian.Uint32(p[4:])
	b.W[2][lane] = binary.BigEndian.Uint32(p[8:])
	b.W[3][lane] = binary.BigEndian.Uint32(p[12:])
}

func copyLane(dst *asm.Blocks, dl int, src *asm.Blocks, sl int) {
	dst.W[0][dl] = src.W[0][sl]
	dst.W[1][dl] = src.W[1][sl]
	dst.W[2][dl] = src.W[2][sl]
	dst.W[3][dl] = src.W[3][sl]
}

// pick returns the batch for a lane whose parent is par.
func (g *laneGroup) pick(par *parentRef) *laneBatch {
	var free *laneBatch
	for i := range g.shared {
		b := &g.shared[i]
		if b.pid == par.pid {
			return b
		}
		if free == nil && b.f.N == 0 {
			free = b
		}
	}
	if free != nil {
		free.pid = par.pid
		free.pkey = *par.key
		free.sched = *par.sched
		free.f.Shared = &free.sched
		return free
	}
	return &g.mixed
}

// addLane queues one lane and runs its batch when full.
func (w *worker) addLane(g *laneGroup, idx int32, f Field, want *[mac.Size]byte, par *parentRef,
	div, sess *[4]uint32, msg *msgBuf, nb int) {
	b := g.pick(par)
	l := b.f.N
	if b == &g.mixed {
		setLane(&b.f.Parent, l, par.key)
	}
	setLaneW(&b.f.Div, l, div)
	if sess != nil {
		setLaneW(&b.f.Sess, l, sess)
	}
	b.f.NBlocks[l] = uint8(nb)
	for k := 0; k < nb && k < asm.MaxMACBlocks; k++ {
		setLaneW(&b.f.Msg[k], l, (*[4]uint32)(msg.w[4*k:]))
	}
	b.dest[l] = laneDest{idx: idx, field: f, want: binary.BigEndian.Uint32(want[:])}
	b.f.N = l + 1
	if b.f.N == asm.MaxLanes {
		w.runBatch(b)
	}
}

// runBatch runs a batch and records its mismatches.
func (w *worker) runBatch(b *laneBatch) {
	n := b.f.N
	if n == 0 {
		return
	}
	b.f.Run()
	for i := 0; i < n; i++ {
		d := &b.dest[i]
		if subtle.ConstantTimeEq(int32(b.f.Out.W[0][i]), int32(d.want)) != 1 {
			res := &w.results[d.idx]
			res.Status = StatusMismatch
			res.Fields |= d.field
		}
	}
	b.f.N = 0
}

// moveToMixed moves every lane of shared batch s into the mixed batch,
// running the mixed batch whenever it fills.
func (w *worker) moveToMixed(g *laneGroup, s *laneBatch) {
	m := &g.mixed
	for l := 0; l < s.f.N; l++ {
		d := m.f.N
		setLane(&m.f.Parent, d, &s.pkey)
		copyLane(&m.f.Div, d, &s.f.Div, l)
		if m.f.Session {
			copyLane(&m.f.Sess, d, &s.f.Sess, l)
		}
		nb := int(s.f.NBlocks[l])
		m.f.NBlocks[d] = uint8(nb)
		for k := 0; k < nb; k++ {
			copyLane(&m.f.Msg[k], d, &s.f.Msg[k], l)
		}
		m.dest[d] = s.dest[l]
		m.f.N = d + 1
		if m.f.N == asm.MaxLanes {
			w.runBatch(m)
		}
	}
	s.f.N = 0
}

// flush runs every pending lane of the group and unbinds its shared
// batches. Small shared batches are merged into the mixed one first, unless
// the merged lanes would fill more kernel calls than they save.
func (w *worker) flush(g *laneGroup) {
	small := 0
	for i := range g.shared {
		if n := g.shared[i].f.N; n > 0 && n < mergeBelow {
			small++
		}
	}
	for i := range g.shared {
		b := &g.shared[i]
		if b.f.N > 0 && b.f.N < mergeBelow && (small > 1 || g.mixed.f.N > 0) {
			w.moveToMixed(g, b)
		}
		w.runBatch(b)
		b.pid = 0
		b.f.Shared = nil
	}
	w.runBatch(&g.mixed)
}
