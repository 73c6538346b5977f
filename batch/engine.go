package batch

import (
	"crypto/subtle"
	"encoding/binary"
	"math/bits"

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

// cacheEntry is a derived parent key of the card level. Its 3DES
// schedules live apart, in desSlot idx of the worker's cacheDES, so that
// the entries SM4 records touch stay small (about 200 bytes, not 2 KB).
type cacheEntry struct {
	id     uint64 // unique per fill; 0 = empty
	master int32
	idx    uint32 // this entry's index (of its desSlot)
	// sib, sibID: the entry last found for the same factors under the
	// record's other key (session key, TAC key), if its id is still
	// sibID (see entry).
	sib    uint32
	sibID  uint64
	n      uint8
	prefix [MaxFactors - 1]diversify.Factor
	key    [16]byte
	sm4    sm4.Schedule
}

// desSlot holds the 3DES schedules of a cache entry's key.
type desSlot struct {
	// tdes is the key scheduled for the scalar path, filled on first use
	// (tdesReady): the 3DES lanes need only key (or dk), and a 3DES
	// schedule costs about as much as the derivation itself.
	tdes      des.Triple
	tdesReady bool
	// dk is the key scheduled for the 3DES lanes (asm.DESFused.Shared),
	// filled on first use as a shared parent (dkReady).
	dk      asm.DESKey
	dkReady bool
}

// parentRef identifies the parent key of the card level of one record.
type parentRef struct {
	pid   uint64 // identity: equal pids mean equal parents
	key   *[16]byte
	sched *sm4.Schedule
}

// laneBatch is one asm.Fused call being filled (the expected MAC of lane l
// in f.Want[l]). The destination of lane l is kept beside it: record
// idx[l], field field[l], and for session lanes the field of its second
// chain, field2[l] (0: none; its expected MAC in f.Want2[l]).
type laneBatch struct {
	f      asm.Fused
	pid    uint64 // shared batches: the parent bound to it, 0 = free
	pkey   [16]byte
	sched  sm4.Schedule
	idx    [asm.MaxLanes]int32
	field  [asm.MaxLanes]Field
	field2 [asm.MaxLanes]Field
}

// laneGroup holds the batches of one pipeline shape: with session key (MAC1,
// MAC2, MAC3) or without (TAC).
type laneGroup struct {
	shared [nShared]laneBatch
	mixed  laneBatch
}

// worker is the state of one worker: parent-key cache, lane batches and
// scratch. Only its own goroutine touches it. The Verifier's settings the
// per-record loop reads are copied in, next to each other.
type worker struct {
	fast        fastRoute
	fill        tacFill // fillTAC512's arguments for fast.b
	index       *[UsageOverdraw + 1][4][256]int16
	masters     []master
	results     []Result
	scalarAll   bool // Options.Scalar
	laneTAC     bool
	laneDES     bool // the 3DES lanes can express the profile
	desOn       bool // this chunk: 3DES records of level >= 1 take the lanes
	vecFill     bool // this chunk: the fast route fills through fillTAC512
	padAlways   bool // 3DES lanes: profile padding is PadAlways
	lowestFirst bool
	// factorRules: the profile reads short or 16-byte factors otherwise
	// than SPEC (see ruled); the fast routes, which look at no factor
	// length, are off.
	factorRules bool
	// layouts: the profile redefines the unload MAC3 or overdraw TAC
	// input, which the lanes do not express; those records take the
	// scalar path.
	layouts  bool
	sessRule mac.SessionRule
	v        *Verifier
	cache    []cacheEntry
	cacheDES []desSlot
	// cacheSets[s] holds the tags and last uses of entries 4s..4s+3: the
	// lookup scans one cache line per set and touches only the entry it
	// hits.
	cacheSets []cacheSet
	setShift  uint // 64 - log2(sets): the set is the top bits of the hash
	nextID    uint64
	tick      uint64 // cache use counter
	// The cache grows (up to maxEntries) when more than one lookup in
	// evictRatio evicts a key (see growCache).
	maxEntries int
	// The lookups are tick-tick0.
	tick0, evictions uint64
	sess             laneGroup
	tac              laneGroup
	dsess            desGroup
	dtac             desGroup
	// dq[0] (TAC) and dq[1] (session) queue full 3DES batches for
	// asm.RunDES4 when it runs four for the cost of one (desQuad, this
	// chunk).
	dq      [2]desQueue
	desQuad bool
	// desLanes counts the lanes run through asm.DESFused (for the tests).
	desLanes uint64
	des0     uint64                                 // records verified by record0DES (for the tests)
	desMsg   [asm.MaxDESBlocks][asm.MaxLanes]uint64 // record0DES: lane 0
	txn      txn
	fs       [MaxFactors]diversify.Factor
	// ruled's factor list and its 16-byte factors (see factorList).
	rfs   [MaxFactors][]byte
	rwide [MaxFactors][16]byte
}

func newWorker(v *Verifier, maxEntries int) *worker {
	w := &worker{
		index:       &v.index,
		masters:     v.masters,
		scalarAll:   v.scalar,
		laneTAC:     v.laneTAC,
		laneDES:     v.laneDES,
		padAlways:   v.profile.Padding == mac.PadAlways,
		lowestFirst: v.profile.FactorOrder == mac.LowestFirst,
		factorRules: !v.profile.DefaultFactorRules(),
		layouts:     !v.profile.DefaultLayouts(),
		sessRule:    v.profile.SM4Session,
		v:           v,
		maxEntries:  roundEntries(maxEntries),
		nextID:      1 << 32,
	}
	w.setCache(min(initialEntries, w.maxEntries))
	w.sess.init(true)
	w.tac.init(false)
	w.dsess.init(true)
	w.dtac.init(false)
	return w
}

// Parent-key cache sizing: it starts at initialEntries (or the bound, if
// lower) and doubles, up to the bound, at a chunk's start once more than
// one lookup in evictRatio of the job so far (or since the last growth)
// evicted a key, and at least minEvictions did. The first pass over a file
// fills empty ways and evicts nothing, so only a key set with more parents
// than fit (or than the sets spread evenly) makes it grow.
const (
	initialEntries = 1024
	evictRatio     = 256
	minEvictions   = 64
)

// roundEntries rounds a cache bound up to a power of two of at least
// cacheWays.
func roundEntries(n int) int {
	m := cacheWays
	for m < n {
		m <<= 1
	}
	return m
}

// setCache replaces the parent-key cache with an empty one of n entries
// (a power of two), wiping the keys of the old one.
func (w *worker) setCache(n int) {
	w.wipeCache()
	w.cache = make([]cacheEntry, n)
	w.cacheDES = make([]desSlot, n)
	w.cacheSets = make([]cacheSet, n/cacheWays)
	w.setShift = uint(64 - bits.TrailingZeros(uint(n/cacheWays)))
	for i := range w.cache {
		w.cache[i].idx = uint32(i)
	}
}

// wipeCache wipes the keys of the parent-key cache and empties it.
func (w *worker) wipeCache() {
	for i := range w.cache {
		w.cache[i] = cacheEntry{idx: uint32(i)}
		w.cacheDES[i] = desSlot{}
	}
	clear(w.cacheSets)
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
	w.wipeCache()
	w.sess.wipe()
	w.tac.wipe()
	w.dsess.wipe()
	w.dtac.wipe()
	w.dq[0].wipe()
	w.dq[1].wipe()
	w.txn = txn{}
	w.fast = fastRoute{}
	w.fill.wipe()
}

// fastRoute is the route of the records whose header (kind, type,
// algorithm, key version, factor count, MAC fields present) equals hdr:
// purchase-kind SM4 records that carry only a TAC, under a TAC key of level
// 0 or 1, whose lanes go to the shared batch b, or of a higher level
// (cached). Such records differ from the one that set the route only in
// data fields, of which only the date and time need checking, so they skip
// validation, key lookup and batch choice. The route lasts until the
// batches are flushed (end of the job).
// 3DES records of the same description have a route too: to the shared
// 3DES batch db under a TAC key of level 1 (see fillTACDES), cached and
// tdes above it (cachedRunDES).
type fastRoute struct {
	hdr uint64 // 0: no route
	b   *laneBatch
	db  *desBatch // 3DES route: set instead of b and m
	m   *master
	t   uint32 // the type byte
	// cached: the route of such records under a TAC key of level 2 or
	// more (a city key, say, between the issuer key and the card): no
	// fixed batch and no m.div0w; each lane goes where its parent, from
	// the parent-key cache, sends it (cachedRun; cachedRunDES for 3DES
	// records, tdes).
	cached, tdes bool
}

// header packs the fields of r that decide its route; never 0.
func header(r *Record) uint64 {
	return uint64(r.Kind) | uint64(r.Type)<<8 | uint64(r.Alg)<<16 | uint64(r.KeyVersion)<<24 |
		uint64(r.NFactors)<<32 | uint64(r.Present)<<40 | 1<<48
}

// chunk verifies records lo..hi-1 of the job (splitting and parsing their
// lines first when streaming). Lanes may stay queued after it returns,
// their results still to be completed: finish runs them when the worker
// leaves the job.
// (Running them at every chunk's end would leave a partial kernel call per
// batch in use per chunk, about a tenth more calls on mixed files.)
func (w *worker) chunk(j *job, lo, hi int) {
	w.results = j.results
	w.growCache()
	w.desOn = w.useDES()
	w.desQuad = asm.DESQuad()
	w.vecFill = hasFill512 && !w.scalarAll && asm.Impl() == "avx512gfni"
	records, results := j.records[lo:hi], j.results[lo:hi]
	// Every result starts as StatusOK: one bulk clear here rather than a
	// store (with its write-barrier check) per record below.
	clear(results)
	if lines := j.lines; lines != nil {
		lines.split(lo, hi)
		// Parse the whole chunk first, so that runs of records reach the
		// fast route together. A line that does not parse leaves a zero
		// record, which no route matches (its Kind is 0), and is skipped.
		for i := range records {
			if err := lines.parse(lo+i, &records[i]); err != nil {
				records[i] = Record{}
				results[i] = Result{Status: StatusMalformed, Err: err}
			}
		}
	}
	for i := 0; i < len(records); {
		i += w.fastRun(records[i:], lo+i)
		if i < len(records) {
			if results[i].Status == StatusOK {
				w.record(lo+i, &records[i], &results[i])
			}
			i++
		}
	}
}

// finish runs every queued lane of the job, completing the results of the
// worker's chunks, and unbinds the batches.
func (w *worker) finish() {
	if w.results != nil {
		w.flush(&w.sess)
		w.flush(&w.tac)
		w.flushDES(&w.dsess)
		w.flushDES(&w.dtac)
	}
	w.fast = fastRoute{}
	w.results = nil
	w.tick0, w.evictions = w.tick, 0
}

// growCache doubles the parent-key cache (up to its bound) when the
// lookups of the job so far evicted a key too often (see initialEntries).
// Queued lanes need not run first: a lane batch holds a copy of its
// parent's key and schedules and only the entry's id, which no new entry
// reuses.
func (w *worker) growCache() {
	if w.evictions < minEvictions || w.evictions*evictRatio <= w.tick-w.tick0 || len(w.cache) >= w.maxEntries {
		return
	}
	w.setCache(2 * len(w.cache))
	w.tick0, w.evictions = w.tick, 0
}

// fastRun queues the TAC lanes of the leading records that follow the
// fast route (same header, valid date and time) as record would, and
// returns how many it took. records[k] is record base+k; their results are
// already zero (StatusOK).
func (w *worker) fastRun(records []Record, base int) int {
	fr := &w.fast
	if fr.hdr == 0 || w.factorRules {
		return 0
	}
	if fr.db != nil {
		return w.fastRunDES(records, base)
	}
	if fr.cached {
		if fr.tdes {
			return w.cachedRunDES(records, base)
		}
		return w.cachedRun(records, base)
	}
	b := fr.b
	done := 0
	for done < len(records) {
		n := min(len(records)-done, asm.MaxLanes-b.f.N)
		var k int
		if w.vecFill {
			k = w.fillVec(b, records[done:done+n], base+done)
		} else {
			k = fillTAC(b, fr, records[done:done+n], base+done)
		}
		done += k
		if b.f.N == asm.MaxLanes {
			w.runBatch(b)
		}
		if k < n {
			break
		}
	}
	return done
}

// fillTAC is the loop of fastRun: it fills the lanes of b from the leading
// records that follow route fr, at most as many as b has room for (the
// caller's slices are no longer), and returns how many. It calls nothing,
// so that its state stays in registers.
func fillTAC(b *laneBatch, fr *fastRoute, records []Record, base int) int {
	hdr, t := fr.hdr, fr.t<<24
	div0 := &fr.m.div0w
	d, b0, b1 := &b.f.Div.W, &b.f.Msg[0].W, &b.f.Msg[1].W
	n := b.f.N
	i := 0
	for ; i < len(records); i++ {
		r := &records[i]
		dw, tv := dateTime(r)
		if header(r) != hdr || !fastDateTime(r, dw, tv) {
			break
		}
		l := (n + i) & (asm.MaxLanes - 1)
		if r.NFactors == 0 {
			d[0][l], d[1][l], d[2][l], d[3][l] = div0[0], div0[1], div0[2], div0[3]
		} else {
			setDivWords(d, l, &r.Factors[0])
		}
		b0[0][l] = r.Amount
		putTACMsg0(b0, l, r, t, dw)
		putTACMsg1(b1, l, dw, tv)
		b.f.NBlocks[l] = 2
		b.f.Want[l] = be32(r.TAC[:])
		b.idx[l] = int32(base + i)
		b.field[l] = FieldTAC
	}
	b.f.N = n + i
	return i
}

// dateTime returns r's date as a big-endian word and its time's three
// bytes, as fastDateTime, putTACMsg0 and putTACMsg1 take them.
func dateTime(r *Record) (dw uint32, tv uint64) {
	return be32(r.Date[:]), uint64(r.Time[0])<<16 | uint64(r.Time[1])<<8 | uint64(r.Time[2])
}

// fastDateTime checks the date and time of r (dw, tv from dateTime) as
// validDateTime does, except that February 29 fails (record decides it).
func fastDateTime(r *Record, dw uint32, tv uint64) bool {
	v := uint64(dw)<<32 | tv
	bad := v&(v<<1|v<<2)&0x8888888888888888 | (tv+0x5c2020)&0x808080
	return bad == 0 && r.Date[3]-1 < maxDayBCD[r.Date[2]]
}

// setDivWords sets lane l of the diversification input d to f || ^f.
func setDivWords(d *[4][asm.MaxLanes]uint32, l int, f *diversify.Factor) {
	w0, w1 := be32(f[0:4]), be32(f[4:8])
	d[0][l], d[1][l], d[2][l], d[3][l] = w0, w1, ^w0, ^w1
}

// putTACMsg0 and putTACMsg1 write lane l of the two blocks of a purchase
// TAC message of r, Amount(4) t T(6) TermSeq(4) Date(4) Time(3), padded
// (see encodeLane), all but the Amount word, which the caller stores; t is
// the type byte << 24, dw and tv from dateTime. (Each is small enough to be
// inlined: fillTAC calls nothing.)
func putTACMsg0(b0 *[4][asm.MaxLanes]uint32, l int, r *Record, t, dw uint32) {
	b0[1][l] = t | be32(r.Terminal[0:4])>>8
	b0[2][l] = be32(r.Terminal[2:6])<<8 | uint32(r.TermSeq[0])
	b0[3][l] = be32(r.TermSeq[:])<<8 | dw>>24
}

func putTACMsg1(b1 *[4][asm.MaxLanes]uint32, l int, dw uint32, tv uint64) {
	b1[0][l] = dw<<8 | uint32(tv>>16)
	b1[1][l] = uint32(tv)<<16 | 0x8000
	b1[2][l] = 0
	b1[3][l] = 0
}

// cachedRun is fastRun on a cached-parent route (see fastRoute): it
// queues the TAC lanes of the leading records that follow it, each under
// its parent from the cache, and returns how many it took.
func (w *worker) cachedRun(records []Record, base int) int {
	fr := &w.fast
	hdr, t, m := fr.hdr, fr.t<<24, fr.m
	var memo parentMemo
	i := 0
	for ; i < len(records); i++ {
		r := &records[i]
		dw, tv := dateTime(r)
		if header(r) != hdr || !fastDateTime(r, dw, tv) {
			break
		}
		fs := w.routeFactors(r, m.levels)
		e := memo.e
		if memo.hit(fs[:len(fs)-1]) {
			w.tick++
		} else {
			e = memo.miss(w, m, fs[:len(fs)-1])
		}
		par := parentRef{pid: e.id, key: &e.key, sched: &e.sm4}
		b, l := w.lane(&w.tac, &par)
		l &= asm.MaxLanes - 1
		setDivWords(&b.f.Div.W, l, &fs[len(fs)-1])
		b.f.Msg[0].W[0][l] = r.Amount
		putTACMsg0(&b.f.Msg[0].W, l, r, t, dw)
		putTACMsg1(&b.f.Msg[1].W, l, dw, tv)
		b.f.NBlocks[l] = 2
		w.commit(b, l, int32(base+i), FieldTAC, &r.TAC)
	}
	return i
}

// routeFactors returns the first nf factors of r root first, as record
// orders them.
func (w *worker) routeFactors(r *Record, nf int) []diversify.Factor {
	fs := r.Factors[:nf]
	if w.lowestFirst {
		fs = w.fs[:copy(w.fs[:], fs)]
		diversify.Reverse(fs)
	}
	return fs
}

// parentMemo remembers the last parent a cached route looked up: runs of
// one parent (a city's own cards) skip the lookup. No other lookup runs
// between a route's records, so the entry still holds its key.
type parentMemo struct {
	e  *cacheEntry
	f0 diversify.Factor // e's first factor, by value: a miss costs one compare
}

// hit reports whether prefix leads to p.e. (Its caller counts the use, as
// the lookup would, for growCache.)
func (p *parentMemo) hit(prefix []diversify.Factor) bool {
	return p.e != nil && prefix[0] == p.f0 && (len(prefix) == 1 || samePrefix(p.e, prefix))
}

// miss looks prefix up in w's cache and remembers the entry.
func (p *parentMemo) miss(w *worker, m *master, prefix []diversify.Factor) *cacheEntry {
	p.e, p.f0 = w.lookupCache(m, prefix), prefix[0]
	return p.e
}

// lookup returns the master key for (u, alg, version), or nil; alg must be
// SM4 or TDES (validated).
func (w *worker) lookup(u Usage, alg diversify.Alg, ver uint8) *master {
	i := int(w.index[u][alg&3][ver]) - 1
	if uint(i) >= uint(len(w.masters)) {
		return nil
	}
	return &w.masters[i]
}

// record verifies one record, or queues its lanes; *res is zero
// (StatusOK) on entry.
func (w *worker) record(i int, r *Record, res *Result) {
	if err := r.validate(); err != nil {
		*res = Result{Status: StatusMalformed, Err: err}
		return
	}
	k := r.Kind & 7
	fields := r.Present & kindFieldTab[k]
	var sk, tk *master
	if fields&sessionFields != 0 {
		u := sessionUsageTab[k]
		if sk = w.lookup(u, r.Alg, r.KeyVersion); sk == nil {
			*res = Result{Status: StatusUnknownKey, Err: unknownKeyErr(u, r.Alg)}
			return
		}
	}
	if fields&FieldTAC != 0 {
		if tk = w.lookup(UsageTAC, r.Alg, r.KeyVersion); tk == nil {
			*res = Result{Status: StatusUnknownKey, Err: unknownKeyErr(UsageTAC, r.Alg)}
			return
		}
	}
	if w.factorRules && (r.Wide != 0 || r.short != 0) {
		w.ruled(r, res, fields, sk, tk)
		return
	}
	nf := int(r.NFactors)
	if (sk != nil && sk.levels != nf) || (tk != nil && tk.levels != nf) {
		*res = Result{Status: StatusMalformed, Err: ErrLevels}
		return
	}
	fs := r.Factors[:nf]
	if w.lowestFirst {
		n := copy(w.fs[:], fs)
		diversify.Reverse(w.fs[:n])
		fs = w.fs[:n]
	}
	if w.layouts && (r.Kind == mac.KindUnload && fields&FieldMAC3 != 0 || r.Kind == mac.KindOverdraw && fields&FieldTAC != 0) {
		w.scalar(r, res, fields, sk, tk, fs)
		return
	}
	if r.Alg != diversify.SM4 || w.scalarAll {
		// 3DES: the lanes, or for keys of level 0 a scalar path of
		// their own (see des.go).
		if r.Alg == diversify.TDES && !w.scalarAll && w.laneDES {
			if nf == 0 {
				w.record0DES(r, res, fields, sk, tk)
				return
			}
			if w.desOn {
				w.recordDES(i, r, fields, sk, tk, fs)
				return
			}
		}
		w.scalar(r, res, fields, sk, tk, fs)
		return
	}
	t := uint32(typeTab[k][r.Type&15])
	var se *cacheEntry // the session key's parent entry
	if sk != nil {
		var par parentRef
		par, se = w.parent(sk, fs, nil)
		// The session MACs share the session key: two per lane (MAC1
		// and MAC2 as the lane's two chains), a third (MAC3) in a lane
		// of its own.
		for sf := fields & sessionFields; sf != 0; {
			f := sf & -sf
			sf &^= f
			f2 := sf & -sf
			sf &^= f2
			b, l := w.lane(&w.sess, &par)
			b.setDiv(l, sk, fs)
			setSession(&b.f.Sess, l, w.sessRule, r)
			b.f.NBlocks[l&(asm.MaxLanes-1)] = r.encodeLane(&b.f.Msg, l, f, t)
			b.setSecond(l, r, f2, t)
			w.commit(b, l, int32(i), f, r.want(f))
		}
	}
	if tk != nil {
		if !w.laneTAC {
			w.scalar(r, res, FieldTAC, nil, tk, fs)
			return
		}
		par, _ := w.parent(tk, fs, se)
		b, l := w.lane(&w.tac, &par)
		if fields == FieldTAC && isPurchaseKind(r.Kind) {
			if tk.levels <= 1 && b != &w.tac.mixed {
				w.fast = fastRoute{hdr: header(r), b: b, m: tk, t: t}
				w.fill.set(b, &w.fast)
			} else if tk.levels >= 2 {
				w.fast = fastRoute{hdr: header(r), m: tk, t: t, cached: true}
			}
		}
		b.setDiv(l, tk, fs)
		b.f.NBlocks[l] = r.encodeLane(&b.f.Msg, l, FieldTAC, t)
		w.commit(b, l, int32(i), FieldTAC, &r.TAC)
	}
}

// setSecond sets lane l's second chain to field f2 of r, or to none when
// f2 is 0 (no blocks, and an expected MAC of 0, which the empty chain's
// output of 0 matches).
func (b *laneBatch) setSecond(l int, r *Record, f2 Field, t uint32) {
	l &= asm.MaxLanes - 1
	b.field2[l] = f2
	if f2 == 0 {
		b.f.NBlocks2[l] = 0
		b.f.Want2[l] = 0
		return
	}
	b.f.NBlocks2[l] = r.encodeLane(&b.f.Msg2, l, f2, t)
	b.f.Want2[l] = be32(r.want(f2)[:])
}

// setDiv sets lane l's input block of the card-level diversification under
// m: the last factor F as F || ~F (big-endian words), or m.div0w for a key
// of level 0.
func (b *laneBatch) setDiv(l int, m *master, fs []diversify.Factor) {
	l &= asm.MaxLanes - 1
	d := &b.f.Div.W
	if len(fs) == 0 || m.levels == 0 {
		d[0][l] = m.div0w[0]
		d[1][l] = m.div0w[1]
		d[2][l] = m.div0w[2]
		d[3][l] = m.div0w[3]
		return
	}
	f := &fs[len(fs)-1]
	w0, w1 := be32(f[0:4]), be32(f[4:8])
	d[0][l] = w0
	d[1][l] = w1
	d[2][l] = ^w0
	d[3][l] = ^w1
}

// setSession sets lane l's SM4 session-key input block of r under rule,
// as big-endian words. (Written straight into the lane: a [4]uint32
// returned through the stack and copied at once stalls the store-to-load
// forwarding of its four stores.)
func setSession(b *asm.Blocks, l int, rule mac.SessionRule, r *Record) {
	l &= asm.MaxLanes - 1
	w0 := be32(r.Random[:])
	var w1 uint32
	if isPurchaseKind(r.Kind) {
		w1 = uint32(r.OfflineSeq)<<16 | uint32(r.TermSeq[2])<<8 | uint32(r.TermSeq[3])
	} else {
		w1 = uint32(r.OnlineSeq)<<16 | 0x8000
	}
	w2, w3 := ^w0, ^w1
	switch rule {
	case mac.SessionZeroPad:
		w2, w3 = 0, 0
	case mac.SessionPad80:
		w2, w3 = 0x80000000, 0
	}
	b.W[0][l], b.W[1][l], b.W[2][l], b.W[3][l] = w0, w1, w2, w3
}

var zeroKey [16]byte

// parent returns the parent key of the card level below master m for the
// factors fs (len(fs) == m.levels), and the cache entry it comes from (nil
// for levels 0 and 1). other, if not nil, is the entry of the record's
// other key for the same factors: its link is tried before a lookup.
func (w *worker) parent(m *master, fs []diversify.Factor, other *cacheEntry) (parentRef, *cacheEntry) {
	switch m.levels {
	case 0:
		return parentRef{pid: 1, key: &zeroKey, sched: &zeroSchedule}, nil
	case 1:
		return parentRef{pid: 2 + uint64(m.id), key: &m.key, sched: &m.sm4}, nil
	}
	e := w.entry(m, fs[:len(fs)-1], other)
	return parentRef{pid: e.id, key: &e.key, sched: &e.sm4}, e
}

// entry is lookupCache(m, prefix), through other's link to its sibling
// when other (an entry for the same prefix under another master) is not
// nil: a record's session key and TAC key have parents of the same
// factors, and the link spares the second its hash and set search.
func (w *worker) entry(m *master, prefix []diversify.Factor, other *cacheEntry) *cacheEntry {
	if other == nil {
		return w.lookupCache(m, prefix)
	}
	// The link holds while the entry keeps the id it had (ids are unique
	// per fill; a refill of other and a cache reset clear the link). It
	// leads to m's entry: a record's TAC key follows from its session
	// key (the algorithm and version are the same).
	if s := &w.cache[other.sib&uint32(len(w.cache)-1)]; other.sibID != 0 && s.id == other.sibID {
		w.tick++
		w.cacheSets[s.idx/cacheWays].used[s.idx%cacheWays] = w.tick
		return s
	}
	// other is its set's most recent use: the lookup cannot evict it.
	s := w.lookupCache(m, prefix)
	other.sib, other.sibID = s.idx, s.id
	return s
}

// cacheWays is the associativity of the parent-key cache.
const cacheWays = 4

// cacheSet is a set of the parent-key cache: tag[j] is a hash of its way
// j's master and prefix (never 0; 0 = empty), used[j] its last use.
type cacheSet struct {
	tag  [cacheWays]uint64
	used [cacheWays]uint64
}

func samePrefix(e *cacheEntry, prefix []diversify.Factor) bool {
	for i := range prefix {
		if e.prefix[i] != prefix[i] {
			return false
		}
	}
	return true
}

// lookupCache returns the cache entry holding the key reached from m
// through prefix, deriving it on a miss.
func (w *worker) lookupCache(m *master, prefix []diversify.Factor) *cacheEntry {
	h := m.seed
	for i := range prefix {
		h ^= binary.LittleEndian.Uint64(prefix[i][:])
		h *= 0xff51afd7ed558ccd
		h ^= h >> 29
	}
	// 4-way set associative, least recently used out: a clearing file
	// touches a few hundred parents (cities × families × usages), which a
	// direct-mapped table of the same size would keep evicting.
	si := h >> w.setShift
	s := &w.cacheSets[si]
	tag := h | 1
	w.tick++
	// The matching way, if any (a tag is in a set at most once).
	j := 0
	if s.tag[1] == tag {
		j = 1
	}
	if s.tag[2] == tag {
		j = 2
	}
	if s.tag[3] == tag {
		j = 3
	}
	if s.tag[j] == tag {
		c := &w.cache[si*cacheWays+uint64(j)]
		if c.master == m.id && int(c.n) == len(prefix) && samePrefix(c, prefix) {
			s.used[j] = w.tick
			return c
		}
	}
	v := 0
	for j := 1; j < cacheWays; j++ {
		if s.used[j] < s.used[v] {
			v = j
		}
	}
	e := &w.cache[si*cacheWays+uint64(v)]
	if s.tag[v] != 0 {
		w.evictions++
	}
	s.tag[v], s.used[v] = tag, w.tick
	w.nextID++
	if d := &w.cacheDES[e.idx]; d.dkReady || d.tdesReady {
		*d = desSlot{} // the previous key's schedules
	}
	e.id = w.nextID
	e.sibID = 0 // the link was the previous key's
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
		e := w.lookupCache(m, fs[:len(fs)-1])
		d := &w.cacheDES[e.idx]
		if !d.tdesReady {
			d.tdes.Init(&e.key)
			d.tdesReady = true
		}
		t = &d.tdes
	}
	diversify.TDESChildSchedule(dst, t, last)
}

// scalar verifies the fields of r through package mac: session MACs under
// the card key below sk, the TAC under the card key below tk.
func (w *worker) scalar(r *Record, res *Result, fields Field, sk, tk *master, fs []diversify.Factor) {
	var skey, tkey [16]byte
	var sp, tp *[16]byte
	if sk != nil && fields&sessionFields != 0 {
		w.cardKey(&skey, sk, fs)
		sp = &skey
	}
	if tk != nil && fields&FieldTAC != 0 {
		w.cardKey(&tkey, tk, fs)
		tp = &tkey
	}
	w.scalarKeys(r, res, fields, sp, tp)
	clear(skey[:])
	clear(tkey[:])
}

// scalarKeys verifies the fields of r through package mac: the session
// MACs under the card key skey, the TAC under the card key tkey (nil: not
// checked).
func (w *worker) scalarKeys(r *Record, res *Result, fields Field, skey, tkey *[16]byte) {
	p := w.v.profile
	tr := w.txn.set(r)
	if skey != nil {
		s, err := mac.NewSession(p, r.Alg, skey, tr)
		if err != nil {
			*res = Result{Status: StatusMalformed, Err: ErrMalformed}
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
	if tkey != nil {
		m, err := mac.TAC(p, r.Alg, tkey, tr)
		if err != nil {
			*res = Result{Status: StatusMalformed, Err: ErrMalformed}
			return
		}
		w.compare(res, &m, &r.TAC, FieldTAC)
	}
}

// ruled verifies a record with a short or a 16-byte factor under a profile
// whose factor rules are not SPEC's, through package mac: the factors as
// the record gave them (in the profile's order), each card key derived by
// mac.Profile.Derive from its master key. No cache, no lanes.
func (w *worker) ruled(r *Record, res *Result, fields Field, sk, tk *master) {
	p := w.v.profile
	fs, err := factorList(p, r, &w.rfs, &w.rwide)
	if err != nil {
		*res = Result{Status: StatusMalformed, Err: err}
		return
	}
	levels, err := p.Levels(r.Alg, fs...)
	if err != nil || (sk != nil && sk.levels != levels) || (tk != nil && tk.levels != levels) {
		*res = Result{Status: StatusMalformed, Err: ErrLevels}
		return
	}
	var skey, tkey [16]byte
	var sp, tp *[16]byte
	if sk != nil && fields&sessionFields != 0 {
		if err := p.Derive(r.Alg, &skey, &sk.key, fs...); err != nil {
			*res = Result{Status: StatusMalformed, Err: errFactorRule}
			return
		}
		sp = &skey
	}
	if tk != nil && fields&FieldTAC != 0 {
		if err := p.Derive(r.Alg, &tkey, &tk.key, fs...); err != nil {
			clear(skey[:])
			*res = Result{Status: StatusMalformed, Err: errFactorRule}
			return
		}
		tp = &tkey
	}
	w.scalarKeys(r, res, fields, sp, tp)
	clear(skey[:])
	clear(tkey[:])
}

// factorList returns r's factors as mac.Profile.Derive takes them under p:
// in the record's order, a short factor at the length its text had, a
// Wide pair as one 16-byte factor where p makes that one SM4 level
// (elsewhere a pair and two factors are the same levels, and Wide is not
// looked at). The list lives in fs and buf. Errors: errWide, a Wide that
// marks no pair; errFactorRule, a short factor p refuses.
func factorList(p *mac.Profile, r *Record, fs *[MaxFactors][]byte, buf *[MaxFactors][16]byte) ([][]byte, error) {
	nf := min(int(r.NFactors), MaxFactors)
	var wd uint8
	if r.Alg == diversify.SM4 && p.SM4LongFactor == mac.LongOneBlock {
		wd = r.Wide
		if wd&(wd<<1) != 0 || wd != 0 && (nf < 2 || wd>>(nf-1) != 0) {
			return nil, errWide
		}
	}
	if r.short != 0 && p.ShortFactor == mac.ShortRefused {
		return nil, errFactorRule
	}
	list := fs[:0]
	for i := 0; i < nf; i++ {
		if wd>>i&1 != 0 {
			b := &buf[len(list)]
			copy(b[:8], r.Factors[i][:])
			copy(b[8:], r.Factors[i+1][:])
			list = append(list, b[:])
			i++
			continue
		}
		n := r.short >> (4 * i) & 15
		if n == 0 || n > 8 {
			n = 8
		}
		list = append(list, r.Factors[i][:n])
	}
	return list, nil
}

// compare records a mismatch of field f in res; the comparison is constant
// time.
func (w *worker) compare(res *Result, got, want *[mac.Size]byte, f Field) {
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		res.Status = StatusMismatch
		res.Fields |= f
	}
}

func setLane(b *asm.Blocks, lane int, p *[16]byte) {
	lane &= asm.MaxLanes - 1
	b.W[0][lane] = binary.BigEndian.Uint32(p[0:])
	b.W[1][lane] = binary.BigEndian.Uint32(p[4:])
	b.W[2][lane] = binary.BigEndian.Uint32(p[8:])
	b.W[3][lane] = binary.BigEndian.Uint32(p[12:])
}

func copyLane(dst *asm.Blocks, dl int, src *asm.Blocks, sl int) {
	dl &= asm.MaxLanes - 1
	sl &= asm.MaxLanes - 1
	dst.W[0][dl] = src.W[0][sl]
	dst.W[1][dl] = src.W[1][sl]
	dst.W[2][dl] = src.W[2][sl]
	dst.W[3][dl] = src.W[3][sl]
}

// lane returns the batch for a lane whose parent is par and the lane's
// index in it, with the parent key set for a mixed batch. The caller fills
// the lane and commits it.
func (w *worker) lane(g *laneGroup, par *parentRef) (*laneBatch, int) {
	for i := range g.shared {
		if b := &g.shared[i]; b.pid == par.pid {
			return b, b.f.N
		}
	}
	for i := range g.shared {
		if b := &g.shared[i]; b.f.N == 0 {
			if b == w.fast.b {
				w.fast = fastRoute{} // b changes parent
			}
			b.pid = par.pid
			b.pkey = *par.key
			b.sched = *par.sched
			b.f.Shared = &b.sched
			return b, 0
		}
	}
	b := &g.mixed
	l := b.f.N
	setLane(&b.f.Parent, l, par.key)
	return b, l
}

// commit queues lane l of b (filled by the caller) for record idx, field f,
// and runs the batch when full.
func (w *worker) commit(b *laneBatch, l int, idx int32, f Field, want *[mac.Size]byte) {
	l &= asm.MaxLanes - 1
	b.f.Want[l] = binary.BigEndian.Uint32(want[:])
	b.idx[l] = idx
	b.field[l] = f
	b.f.N = l + 1
	if l+1 == asm.MaxLanes {
		w.runBatch(b)
	}
}

// runBatch runs a batch and records its mismatches. The MACs of all lanes
// are compared first, in constant time and without early exit, into a
// mismatch mask; only the verdicts (public) steer the result writes.
func (w *worker) runBatch(b *laneBatch) {
	n := b.f.N
	if n == 0 {
		return
	}
	b.f.Run()
	for bad := b.f.Bad; bad != 0; bad &= bad - 1 {
		i := bits.TrailingZeros64(bad) & (asm.MaxLanes - 1)
		res := &w.results[b.idx[i]]
		res.Status = StatusMismatch
		res.Fields |= b.field[i]
	}
	// Lanes without a second chain expect 0 from it and never mismatch.
	for bad := b.f.Bad2; bad != 0; bad &= bad - 1 {
		i := bits.TrailingZeros64(bad) & (asm.MaxLanes - 1)
		res := &w.results[b.idx[i]]
		res.Status = StatusMismatch
		res.Fields |= b.field2[i]
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
		nb2 := int(s.f.NBlocks2[l])
		m.f.NBlocks2[d] = uint8(nb2)
		for k := 0; k < nb2; k++ {
			copyLane(&m.f.Msg2[k], d, &s.f.Msg2[k], l)
		}
		m.f.Want2[d], m.field2[d] = s.f.Want2[l], s.field2[l]
		m.f.Want[d], m.idx[d], m.field[d] = s.f.Want[l], s.idx[l], s.field[l]
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
