package batch

import (
	"encoding/binary"
	"math/bits"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/mac"
)

// The 3DES lanes: records of the 3DES family whose keys sit at least one
// level above the card run through asm.DESFused, the way SM4 records run
// through asm.Fused. Each lane is one MAC field of one record: the card key
// 3DES(parent, Y) || 3DES(parent, ~Y) (Y the card-level factor, parent the
// key one level up: the master itself for a key of level 1, a cached
// derived key otherwise), then the session key 3DES(card, D8) (MAC1, MAC2,
// MAC3) or the TAC key card[0:8]^card[8:16] (TAC), then the single-DES
// CBC-MAC of the padded input, all inside the kernel.
//
// Keys of level 0 (the master is the card key) cannot use the lanes:
// DESFused always diversifies once, and no parent and factor can be chosen
// so that 3DES(P, Y) || 3DES(P, ~Y) equals a given 16-byte key (nor even so
// that the XOR of the halves equals a given TAC key) short of a 2^64 search;
// SM4 has its stand-in (div0) because its diversification input is one
// whole block. Their records take a scalar path of their own (record0DES)
// that starts from the schedules precomputed with the master (the 3DES
// schedule of the card key, the DES schedule of its TAC key) instead of
// package mac, which schedules the card key anew for every record.

// useDES reports whether the 3DES records of keys of level >= 1 take the
// lanes in the chunk about to run: not with Options.Scalar or a profile the
// lanes cannot express. asm.DESFused runs its AVX-512 kernel or, on other
// CPUs, 64 lanes bitsliced (several times faster than the scalar path);
// with AVX2, runDES queues full batches for asm.RunDES4, which runs four
// for the cost of one.
func (w *worker) useDES() bool {
	return w.laneDES && !w.scalarAll
}

// desDataLen[k][f] is the length in bytes of the MAC input of field f
// (index: bits.TrailingZeros8 of the Field) of kind k: SPEC §4. MAC3 and
// TAC share the seal input; fields a kind lacks are 0.
var desDataLen = [8][4]int{
	mac.KindPurchase:   {18, 4, 22, 0},
	mac.KindWithdrawal: {18, 4, 22, 0},
	mac.KindComposite:  {18, 4, 22, 0},
	mac.KindLoad:       {15, 18, 24, 0},
	mac.KindUnload:     {15, 18, 0, 24},
	mac.KindOverdraw:   {14, 17, 23, 0},
}

// desBlocks returns the number of 8-byte blocks of n bytes of data padded
// with ISO/IEC 9797-1 method 2 under pad (a whole block of padding for
// aligned data only under PadAlways), as package mac pads (mac.cbcDES).
func desBlocks(n int, pad mac.Padding) int {
	if n%8 == 0 && pad != mac.PadAlways {
		return n / 8
	}
	return n/8 + 1
}

// desLanesFit reports whether the 3DES lanes can express profile p: every
// MAC input of every kind, padded under p.Padding, fits asm.MaxDESBlocks.
// (The 3DES rules are otherwise fixed; the SM4 rules of p do not apply.)
func desLanesFit(p *mac.Profile) bool {
	if p.Padding != mac.PadAlways && p.Padding != mac.PadIfNeeded {
		return false
	}
	for k := range desDataLen {
		for _, n := range desDataLen[k] {
			if n > 0 && desBlocks(n, p.Padding) > asm.MaxDESBlocks {
				return false
			}
		}
	}
	return true
}

// desBatch is one asm.DESFused call being filled. The destination of lane
// l is kept beside it: record idx[l], field field[l], expected MAC want[l]
// (big-endian word), and for session lanes the field of the second chain,
// field2[l] (0: none, and want2[l] = 0, which its empty chain matches), with
// its expected MAC want2[l].
type desBatch struct {
	f   asm.DESFused
	pid uint64 // shared batches: the parent bound to it, 0 = free
	// pk is the parent key of a shared batch, scheduled (f.Shared = &pk
	// while bound). It is a copy: the cache entry it came from may be
	// refilled before the batch runs.
	pk     asm.DESKey
	pkl    uint64 // pk's halves as big-endian words, for moveToMixed
	pkr    uint64
	want   [asm.MaxLanes]uint32
	want2  [asm.MaxLanes]uint32
	idx    [asm.MaxLanes]int32
	field  [asm.MaxLanes]Field
	field2 [asm.MaxLanes]Field
}

// desGroup holds the 3DES batches of one pipeline shape: with session key
// (MAC1, MAC2, MAC3) or without (TAC).
type desGroup struct {
	shared [nShared]desBatch
	mixed  desBatch
}

// desParent identifies the parent key of the card level of a 3DES record.
type desParent struct {
	pid   uint64 // identity: equal pids mean equal parents
	key   *[16]byte
	dk    *asm.DESKey // key scheduled for asm.DESFused.Shared once *ready
	ready *bool
}

func (g *desGroup) init(session bool) {
	for i := range g.shared {
		g.shared[i].f.Session = session
	}
	g.mixed.f.Session = session
}

func (g *desGroup) wipe() {
	for i := range g.shared {
		g.shared[i] = desBatch{f: asm.DESFused{Session: g.shared[i].f.Session}}
	}
	g.mixed = desBatch{f: asm.DESFused{Session: g.mixed.f.Session}}
}

// desParentOf returns the parent key of the card level below 3DES master m
// for the factors fs (len(fs) == m.levels >= 1), and its cache entry (nil
// for level 1); other is as for parent.
func (w *worker) desParentOf(m *master, fs []diversify.Factor, other *cacheEntry) (desParent, *cacheEntry) {
	if m.levels == 1 {
		return desParent{pid: 2 + uint64(m.id), key: &m.key, dk: &m.dk, ready: &m.dkReady}, nil
	}
	e := w.entry(m, fs[:len(fs)-1], other)
	d := &w.cacheDES[e.idx]
	return desParent{pid: e.id, key: &e.key, dk: &d.dk, ready: &d.dkReady}, e
}

// recordDES queues the lanes of a 3DES record (validated, keys found,
// len(fs) >= 1): session MACs under the card key below sk, the TAC under
// the card key below tk.
func (w *worker) recordDES(i int, r *Record, fields Field, sk, tk *master, fs []diversify.Factor) {
	k := r.Kind & 7
	t := uint64(typeTab[k][r.Type&15])
	y := binary.BigEndian.Uint64(fs[len(fs)-1][:])
	var se *cacheEntry // the session key's parent entry
	if sk != nil {
		var par desParent
		par, se = w.desParentOf(sk, fs, nil)
		d8 := sessionD8(r)
		// Two session MACs per lane, as for SM4 (record).
		for sf := fields & sessionFields; sf != 0; {
			f := sf & -sf
			sf &^= f
			f2 := sf & -sf
			sf &^= f2
			b, l := w.desLane(&w.dsess, &par)
			b.f.Div[l] = y
			b.f.D8[l] = d8
			b.f.NBlocks[l] = r.encodeDES(&b.f.Msg, l, f, t, w.padAlways)
			b.field2[l] = f2
			if f2 == 0 {
				b.f.NBlocks2[l], b.want2[l] = 0, 0
			} else {
				b.f.NBlocks2[l] = r.encodeDES(&b.f.Msg2, l, f2, t, w.padAlways)
				b.want2[l] = be32(r.want(f2)[:])
			}
			w.commitDES(b, l, int32(i), f, r.want(f))
		}
	}
	if tk != nil {
		par, _ := w.desParentOf(tk, fs, se)
		b, l := w.desLane(&w.dtac, &par)
		if fields == FieldTAC && isPurchaseKind(r.Kind) {
			if tk.levels == 1 && b != &w.dtac.mixed {
				w.fast = fastRoute{hdr: header(r), db: b, t: uint32(t)}
			} else if tk.levels >= 2 {
				w.fast = fastRoute{hdr: header(r), m: tk, t: uint32(t), cached: true, tdes: true}
			}
		}
		b.f.Div[l] = y
		b.f.NBlocks[l] = r.encodeDES(&b.f.Msg, l, FieldTAC, t, w.padAlways)
		w.commitDES(b, l, int32(i), FieldTAC, &r.TAC)
	}
}

// record0DES verifies a 3DES record of keys of level 0 (validated, keys
// found) one field after another: the session key 3DES(card, D8) under the
// master's schedule, the TAC under the master's precomputed TAC-key
// schedule, the MAC inputs encoded as for the lanes (lane 0 of w.desMsg),
// the MACs compared in constant time.
func (w *worker) record0DES(r *Record, res *Result, fields Field, sk, tk *master) {
	k := r.Kind & 7
	t := uint64(typeTab[k][r.Type&15])
	msg := &w.desMsg
	w.des0++
	if sk != nil {
		var blk [8]byte
		binary.BigEndian.PutUint64(blk[:], sessionD8(r))
		sk.tdes.Encrypt(&blk, &blk)
		var s des.Schedule
		s.Init(&blk)
		clear(blk[:])
		for _, f := range [...]Field{FieldMAC1, FieldMAC2, FieldMAC3} {
			if fields&f == 0 {
				continue
			}
			nb := r.encodeDES(msg, 0, f, t, w.padAlways)
			m := cbcMAC0(&s, msg, nb)
			w.compare(res, &m, r.want(f), f)
		}
		s.Wipe()
	}
	if tk != nil {
		nb := r.encodeDES(msg, 0, FieldTAC, t, w.padAlways)
		m := cbcMAC0(&tk.tac0, msg, nb)
		w.compare(res, &m, &r.TAC, FieldTAC)
	}
}

// cbcMAC0 returns the MAC (left 4 bytes of the last block) of the
// single-DES CBC-MAC under s, IV 0, of the first nb blocks of lane 0 of
// msg.
func cbcMAC0(s *des.Schedule, msg *[asm.MaxDESBlocks][asm.MaxLanes]uint64, nb uint8) (m [mac.Size]byte) {
	var blk [8]byte
	var c uint64
	for b := 0; b < int(nb) && b < asm.MaxDESBlocks; b++ {
		binary.BigEndian.PutUint64(blk[:], c^msg[b][0])
		s.Encrypt(&blk, &blk)
		c = binary.BigEndian.Uint64(blk[:])
	}
	binary.BigEndian.PutUint32(m[:], uint32(c>>32))
	return m
}

// fastRunDES is fastRun for a 3DES route: it queues the TAC lanes of the
// leading records that follow it and returns how many it took.
func (w *worker) fastRunDES(records []Record, base int) int {
	fr := &w.fast
	b := fr.db
	done := 0
	for done < len(records) {
		n := min(len(records)-done, asm.MaxLanes-b.f.N)
		k := fillTACDES(b, fr, records[done:done+n], base+done)
		done += k
		if b.f.N == asm.MaxLanes {
			w.runDES(b)
		}
		if k < n {
			break
		}
	}
	return done
}

// fillTACDES is fillTAC for a 3DES route: purchase-kind records with only
// a TAC, one factor, under the TAC key of level 1 that b is bound to. It
// fills the lanes of b from the leading records that follow route fr, at
// most as many as b has room for, and returns how many.
func fillTACDES(b *desBatch, fr *fastRoute, records []Record, base int) int {
	hdr, t := fr.hdr, uint64(fr.t)<<24
	n := b.f.N
	i := 0
	for ; i < len(records); i++ {
		r := &records[i]
		dw, tv := dateTime(r)
		if header(r) != hdr || !fastDateTime(r, dw, tv) {
			break
		}
		l := (n + i) & (asm.MaxLanes - 1)
		b.f.Div[l] = binary.BigEndian.Uint64(r.Factors[0][:])
		putTACMsgDES(&b.f.Msg, l, r, t, dw, tv)
		b.f.NBlocks[l] = 3
		b.want[l] = be32(r.TAC[:])
		b.idx[l] = int32(base + i)
		b.field[l] = FieldTAC
	}
	b.f.N = n + i
	return i
}

// putTACMsgDES writes lane l of the three blocks of a purchase TAC message
// of r, Amount(4) t T(6) TermSeq(4) Date(4) Time(3), padded (see
// encodeDES); t is the type byte << 24, dw and tv from dateTime.
func putTACMsgDES(msg *[asm.MaxDESBlocks][asm.MaxLanes]uint64, l int, r *Record, t uint64, dw uint32, tv uint64) {
	term := uint64(r.Terminal[0])<<40 | uint64(r.Terminal[1])<<32 | uint64(be32(r.Terminal[2:6]))
	dt := uint64(dw)<<24 | tv
	msg[0][l] = uint64(r.Amount)<<32 | t | term>>24
	msg[1][l] = term<<40 | uint64(be32(r.TermSeq[:]))<<8 | dt>>48
	msg[2][l] = dt<<16 | 0x8000
}

// cachedRunDES is cachedRun for 3DES records.
func (w *worker) cachedRunDES(records []Record, base int) int {
	fr := &w.fast
	hdr, t, m := fr.hdr, uint64(fr.t)<<24, fr.m
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
		d := &w.cacheDES[e.idx]
		par := desParent{pid: e.id, key: &e.key, dk: &d.dk, ready: &d.dkReady}
		b, l := w.desLane(&w.dtac, &par)
		b.f.Div[l] = binary.BigEndian.Uint64(fs[len(fs)-1][:])
		putTACMsgDES(&b.f.Msg, l, r, t, dw, tv)
		b.f.NBlocks[l] = 3
		w.commitDES(b, l, int32(base+i), FieldTAC, &r.TAC)
	}
	return i
}

// sessionD8 returns the session-key input D8 of r (SPEC §4) as a big-endian
// word: rand4 || offlineSeq2 || termSeq[2:4] for the purchase kinds, rand4
// || onlineSeq2 || 8000 otherwise.
func sessionD8(r *Record) uint64 {
	w1 := uint32(r.OnlineSeq)<<16 | 0x8000
	if isPurchaseKind(r.Kind) {
		w1 = uint32(r.OfflineSeq)<<16 | uint32(r.TermSeq[2])<<8 | uint32(r.TermSeq[3])
	}
	return uint64(be32(r.Random[:]))<<32 | uint64(w1)
}

// desLane returns the 3DES batch for a lane whose parent is par and the
// lane's index in it, with the parent key set for a mixed batch. The
// caller fills the lane and commits it.
func (w *worker) desLane(g *desGroup, par *desParent) (*desBatch, int) {
	for i := range g.shared {
		if b := &g.shared[i]; b.pid == par.pid {
			return b, b.f.N
		}
	}
	for i := range g.shared {
		if b := &g.shared[i]; b.f.N == 0 {
			if b == w.fast.db {
				w.fast = fastRoute{} // b changes parent
			}
			if !*par.ready {
				par.dk.Init(par.key)
				*par.ready = true
			}
			b.pid = par.pid
			b.pk = *par.dk
			b.pkl = binary.BigEndian.Uint64(par.key[0:8])
			b.pkr = binary.BigEndian.Uint64(par.key[8:16])
			b.f.Shared = &b.pk
			return b, 0
		}
	}
	b := &g.mixed
	l := b.f.N & (asm.MaxLanes - 1)
	b.f.Parent[0][l] = binary.BigEndian.Uint64(par.key[0:8])
	b.f.Parent[1][l] = binary.BigEndian.Uint64(par.key[8:16])
	return b, l
}

// commitDES queues lane l of b (filled by the caller) for record idx, field
// f, and runs the batch when full.
func (w *worker) commitDES(b *desBatch, l int, idx int32, f Field, want *[mac.Size]byte) {
	l &= asm.MaxLanes - 1
	b.want[l] = binary.BigEndian.Uint32(want[:])
	b.idx[l] = idx
	b.field[l] = f
	b.f.N = l + 1
	if l+1 == asm.MaxLanes {
		w.runDES(b)
	}
}

// runDES runs a 3DES batch and records its mismatches (desResults), or,
// where asm.RunDES4 runs four for the cost of one (w.desQuad), queues a
// copy of it to run with three more (flushDES runs what is left) and
// empties it at once.
func (w *worker) runDES(b *desBatch) {
	if b.f.N == 0 {
		return
	}
	if w.desQuad {
		q := &w.dq[b2i(b.f.Session)]
		c := &q.b[q.n&3]
		*c = *b
		if b.f.Shared != nil {
			c.f.Shared = &c.pk
		}
		q.n++
		b.f.N = 0
		if q.n == len(q.b) {
			w.runQueue(q)
		}
		return
	}
	b.f.Run()
	w.desResults(b)
}

// desQueue holds copies of full 3DES batches of one shape until four can
// run together (asm.RunDES4).
type desQueue struct {
	b [4]desBatch
	n int
}

// wipe clears the queued batches (their keys included).
func (q *desQueue) wipe() { *q = desQueue{} }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// runQueue runs the batches of q together and records their mismatches.
func (w *worker) runQueue(q *desQueue) {
	var ps [4]*asm.DESFused
	for i := range q.n {
		ps[i] = &q.b[i].f
	}
	asm.RunDES4(&ps)
	for i := range q.n {
		w.desResults(&q.b[i])
		q.b[i].pk.Wipe()
	}
	q.n = 0
}

// desResults records the mismatches of batch b, just run, and empties it.
// The MACs (the left 4 bytes of each lane's last CBC block) of all lanes
// are compared first, in constant time and without early exit, into a
// mismatch mask; only the verdicts (public) steer the result writes.
func (w *worker) desResults(b *desBatch) {
	n := b.f.N
	w.desLanes += uint64(n)
	mask := uint64(1)<<uint(n) - 1 // all ones for n == 64
	for bad := desMismatches(&b.f.Out, &b.want) & mask; bad != 0; bad &= bad - 1 {
		i := bits.TrailingZeros64(bad) & (asm.MaxLanes - 1)
		res := &w.results[b.idx[i]]
		res.Status = StatusMismatch
		res.Fields |= b.field[i]
	}
	// Lanes without a second chain expect 0 from it and never mismatch.
	for bad := desMismatches(&b.f.Out2, &b.want2) & mask; bad != 0; bad &= bad - 1 {
		i := bits.TrailingZeros64(bad) & (asm.MaxLanes - 1)
		res := &w.results[b.idx[i]]
		res.Status = StatusMismatch
		res.Fields |= b.field2[i]
	}
	b.f.N = 0
}

// desMismatches returns the mask of the lanes whose MAC (the left 4 bytes
// of out) differs from want, in constant time.
func desMismatches(out *[asm.MaxLanes]uint64, want *[asm.MaxLanes]uint32) uint64 {
	var bad uint64
	for i := range out {
		x := uint32(out[i]>>32) ^ want[i]
		bad |= uint64((x|-x)>>31) << i
	}
	return bad
}

// moveToMixedDES moves every lane of shared batch s into the mixed batch,
// running the mixed batch whenever it fills.
func (w *worker) moveToMixedDES(g *desGroup, s *desBatch) {
	m := &g.mixed
	for l := 0; l < s.f.N; l++ {
		d := m.f.N & (asm.MaxLanes - 1)
		m.f.Parent[0][d] = s.pkl
		m.f.Parent[1][d] = s.pkr
		m.f.Div[d] = s.f.Div[l]
		m.f.D8[d] = s.f.D8[l]
		nb := s.f.NBlocks[l]
		m.f.NBlocks[d] = nb
		for k := 0; k < int(nb) && k < asm.MaxDESBlocks; k++ {
			m.f.Msg[k][d] = s.f.Msg[k][l]
		}
		nb2 := s.f.NBlocks2[l]
		m.f.NBlocks2[d] = nb2
		for k := 0; k < int(nb2) && k < asm.MaxDESBlocks; k++ {
			m.f.Msg2[k][d] = s.f.Msg2[k][l]
		}
		m.want2[d], m.field2[d] = s.want2[l], s.field2[l]
		m.want[d], m.idx[d], m.field[d] = s.want[l], s.idx[l], s.field[l]
		m.f.N = d + 1
		if m.f.N == asm.MaxLanes {
			w.runDES(m)
		}
	}
	s.f.N = 0
}

// flushDES runs every pending lane of the group and unbinds its shared
// batches (wiping their parent keys). Small shared batches are merged into
// the mixed one first, as in flush.
func (w *worker) flushDES(g *desGroup) {
	small := 0
	for i := range g.shared {
		if n := g.shared[i].f.N; n > 0 && n < mergeBelow {
			small++
		}
	}
	for i := range g.shared {
		b := &g.shared[i]
		if b.pid == 0 {
			continue
		}
		if b.f.N > 0 && b.f.N < mergeBelow && (small > 1 || g.mixed.f.N > 0) {
			w.moveToMixedDES(g, b)
		}
		w.runDES(b)
		b.pid = 0
		b.f.Shared = nil
		b.pk.Wipe()
		b.pkl, b.pkr = 0, 0
	}
	w.runDES(&g.mixed)
	w.runQueue(&w.dq[b2i(g.mixed.f.Session)])
}

// encodeDES writes the padded MAC input of field f (MAC3 and TAC share the
// seal input) of r into lane l of msg as big-endian 8-byte words, and
// returns its block count (SPEC §4; the same bytes as the Append methods of
// package mac, which the tests check). t is the record's type byte. The
// padding (ISO/IEC 9797-1 method 2) is part of the words written here; only
// the 24-byte inputs (load TAC, unload MAC3) are block-aligned, and get the
// whole block 80 00… under PadAlways only. Words past the last block are
// not written. l must be below asm.MaxLanes.
func (r *Record) encodeDES(msg *[asm.MaxDESBlocks][asm.MaxLanes]uint64, l int, f Field, t uint64, padAlways bool) uint8 {
	l &= asm.MaxLanes - 1
	m0, m1, m2, m3 := &msg[0], &msg[1], &msg[2], &msg[3]
	term := uint64(r.Terminal[0])<<40 | uint64(r.Terminal[1])<<32 | uint64(be32(r.Terminal[2:6]))        // T(6)
	dt := uint64(be32(r.Date[:]))<<24 | uint64(r.Time[0])<<16 | uint64(r.Time[1])<<8 | uint64(r.Time[2]) // D(4) H(3)
	amt := uint64(r.Amount)
	switch r.Kind {
	case mac.KindLoad, mac.KindUnload:
		switch f {
		case FieldMAC1:
			// Balance(4) Amount(4) t T(6): 15 bytes.
			m0[l] = uint64(r.Balance)<<32 | amt
			m1[l] = t<<56 | term<<8 | 0x80
			return 2
		case FieldMAC2:
			// Amount(4) t T(6) Date(4) Time(3): 18 bytes.
			return encodeDESATDH(m0, m1, m2, l, amt, t, term, dt)
		}
		// New balance(4) OnlineSeq(2) Amount(4) t T(6) Date(4) Time(3): 24 bytes.
		nb := r.Balance + r.Amount
		if r.Kind == mac.KindUnload {
			nb = r.Balance - r.Amount
		}
		m0[l] = uint64(nb)<<32 | uint64(r.OnlineSeq)<<16 | amt>>16
		m1[l] = amt<<48 | t<<40 | term>>8
		m2[l] = term<<56 | dt
		if padAlways {
			m3[l] = 0x80 << 56
			return 4
		}
		return 3
	case mac.KindOverdraw:
		nl := uint64(r.NewLimit)
		switch f {
		case FieldMAC1:
			// Balance(4) OldLimit(3) t T(6): 14 bytes.
			m0[l] = uint64(r.Balance)<<32 | uint64(r.OldLimit)<<8 | t
			m1[l] = term<<16 | 0x8000
			return 2
		case FieldMAC2:
			// NewLimit(3) t T(6) Date(4) Time(3): 17 bytes.
			m0[l] = nl<<40 | t<<32 | term>>16
			m1[l] = term<<48 | dt>>8
			m2[l] = dt<<56 | 0x80<<48
			return 3
		}
		// New balance(4) OnlineSeq(2) NewLimit(3) t T(6) Date(4) Time(3): 23 bytes.
		nb := uint64(r.Balance - r.OldLimit + r.NewLimit)
		m0[l] = nb<<32 | uint64(r.OnlineSeq)<<16 | nl>>8&0xffff
		m1[l] = nl<<56 | t<<48 | term
		m2[l] = dt<<8 | 0x80
		return 3
	}
	switch f {
	case FieldMAC1:
		// Amount(4) t T(6) Date(4) Time(3): 18 bytes.
		return encodeDESATDH(m0, m1, m2, l, amt, t, term, dt)
	case FieldMAC2:
		// Amount(4): 4 bytes.
		m0[l] = amt<<32 | 0x80000000
		return 1
	}
	// Amount(4) t T(6) TermSeq(4) Date(4) Time(3): 22 bytes.
	ts := uint64(be32(r.TermSeq[:]))
	m0[l] = amt<<32 | t<<24 | term>>24
	m1[l] = term<<40 | ts<<8 | dt>>48
	m2[l] = dt<<16 | 0x8000
	return 3
}

// encodeDESATDH writes Amount(4) t Terminal(6) Date(4) Time(3) (18 bytes),
// padded to three blocks.
func encodeDESATDH(m0, m1, m2 *[asm.MaxLanes]uint64, l int, amt, t, term, dt uint64) uint8 {
	l &= asm.MaxLanes - 1
	m0[l] = amt<<32 | t<<24 | term>>24
	m1[l] = term<<40 | dt>>16
	m2[l] = dt<<48 | 0x80<<40
	return 3
}
