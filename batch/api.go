// Package batch verifies clearing records (PBOC / social-security card
// transactions: MAC1, MAC2, TAC and MAC3) in bulk.
//
// A Verifier is built once from a KeySet: the issuer master keys, each
// identified by (usage, algorithm, key version) and placed a number of
// diversification levels above the card. Verify checks a slice of Records
// and writes exactly one Result per record, in input order, without
// allocating in steady state; records of mixed algorithms, kinds and levels
// may share one call. VerifyStream does the same over a JSON Lines (or CSV)
// clearing file of any size in bounded memory.
//
// Engine: SM4 records run through the multi-key SIMD lanes of package asm
// (diversify, session key and CBC-MAC fused in one pass, 64 lanes at a time);
// the parent keys of the card level (a city key, say) are derived once and
// cached per worker. 3DES records run the same way through asm.DESFused
// (its AVX-512 kernel; with AVX2, four batches at a time bitsliced over 256
// lanes through asm.RunDES4; elsewhere 64 lanes bitsliced, several times
// faster than the scalar DES); 3DES records of keys of level 0 have a
// scalar path of their own on precomputed schedules. What the lanes
// cannot express takes the scalar path of package mac: the SM4 TAC under
// the XORed-halves key rule, the fields of a redefined unload MAC3 or
// overdraw TAC input, records with a short or 16-byte factor under factor
// rules other than SPEC's (see Record.Wide), and everything when
// Options.Scalar is set. Both paths compare MACs in constant time. Which SIMD path package asm uses is chosen globally with
// asm.SetImpl.
//
// Key hygiene: master keys are copied into the Verifier and wiped by Close;
// KeySet.Wipe wipes a parsed key set. No key material is ever put into an
// error, a Result or a log.
package batch

import (
	"errors"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// MaxFactors is the largest number of diversification factors a Record
// carries (and the most levels a master key may sit above the card).
const MaxFactors = diversify.MaxLevels

// Usage is the usage of an issuer master key: which card key it diversifies
// into.
type Usage uint8

// Key usages.
const (
	// UsagePurchase diversifies into DPK: MAC1/MAC2 of purchase, cash
	// withdrawal and composite purchase.
	UsagePurchase Usage = iota + 1
	// UsageLoad diversifies into DLK: load MAC1/MAC2.
	UsageLoad
	// UsageTAC diversifies into DTK: the TAC of every kind that has one.
	UsageTAC
	// UsageUnload diversifies into DULK: unload MAC1/MAC2/MAC3.
	UsageUnload
	// UsageOverdraw diversifies into DUK: overdraw-limit MAC1/MAC2.
	UsageOverdraw
)

// Field names one MAC field of a record; a set of fields is their OR.
type Field uint8

// MAC fields.
const (
	FieldMAC1 Field = 1 << iota
	FieldMAC2
	FieldTAC
	FieldMAC3
)

// Status is the outcome of verifying one record.
type Status uint8

// Statuses.
const (
	// StatusOK: every MAC field present verified.
	StatusOK Status = iota
	// StatusMismatch: at least one MAC field did not verify; Result.Fields
	// names them.
	StatusMismatch
	// StatusUnknownKey: no master key for a (usage, algorithm, version) the
	// record needs.
	StatusUnknownKey
	// StatusMalformed: the record cannot be verified; Result.Err says why.
	StatusMalformed
)

// Result is the outcome of one record.
type Result struct {
	// Status is the outcome.
	Status Status
	// Fields names the MAC fields that did not verify (StatusMismatch).
	Fields Field
	// Err says why a record is malformed or which key is unknown; it wraps
	// ErrMalformed or ErrUnknownKey and never holds key material. Nil for
	// StatusOK and StatusMismatch.
	Err error
}

// Record is the parsed form of one clearing record. Fields a kind does not
// use are ignored. Only the MAC fields named in Present are checked; at
// least one of those the kind has must be present.
type Record struct {
	// Kind is the transaction kind (mac.KindPurchase, …).
	Kind mac.Kind
	// Type is the transaction type byte; 0 means the kind's default
	// (mac.Kind.DefaultType). Unload is always 03, overdraw always 07.
	Type byte
	// Alg is the algorithm family of the card keys.
	Alg diversify.Alg
	// KeyVersion selects the master keys together with Alg and the usage.
	KeyVersion uint8
	// NFactors is the number of factors in Factors; it must equal the
	// levels of every master key the record needs.
	NFactors uint8
	// Factors are the diversification factors, root first (the last is the
	// card's application serial), unless the profile says LowestFirst.
	Factors [MaxFactors]diversify.Factor

	Amount     uint32  // in fen (purchase, withdrawal, composite, load, unload)
	Balance    uint32  // balance before (load, unload, overdraw)
	Terminal   [6]byte // terminal number
	TermSeq    [4]byte // terminal transaction sequence (purchase kinds)
	Date       [4]byte // YYYYMMDD, BCD
	Time       [3]byte // hhmmss, BCD
	Random     [4]byte // card random (session key input)
	OfflineSeq uint16  // card offline counter (purchase kinds)
	OnlineSeq  uint16  // card online counter (load, unload, overdraw)
	OldLimit   uint32  // overdraw limit before (3-byte field)
	NewLimit   uint32  // overdraw limit after (3-byte field)

	// Present names the MAC fields the record carries.
	Present Field
	// MAC1, MAC2, TAC and MAC3 are the values to check.
	MAC1, MAC2, TAC, MAC3 [mac.Size]byte

	// Wide marks 16-byte factors (32 hex digits in a record file): bit i
	// says that Factors[i] and Factors[i+1] are the halves of one. Under
	// SPEC's rule (mac.LongTwoLevels), and for 3DES always, such a factor
	// is two levels and Wide is not looked at; under mac.LongOneBlock it is
	// one SM4 level, and a Wide that marks no pair is malformed.
	Wide uint8
	// short holds, in nibble i, the byte length (1 to 7) of factor i as its
	// text gave it (Factors holds it right-padded with 00), 0 for 8 bytes:
	// for profiles whose ShortFactor rule is not SPEC's.
	short uint32
}

// Errors. Malformed-record errors wrap ErrMalformed; each names the field
// and the problem.
var (
	// ErrMalformed reports a record that cannot be verified.
	ErrMalformed = errors.New("batch: malformed record")
	// ErrUnknownKey reports a record whose (usage, algorithm, version) has
	// no master key in the key set.
	ErrUnknownKey = errors.New("batch: unknown key")
	// ErrLevels reports a record whose factor count differs from its master
	// key's levels; it wraps ErrMalformed.
	ErrLevels = newRecordError("factors", "factor count differs from the key's levels")
	// ErrKeySet reports an invalid key set (duplicate key, bad hex, …).
	ErrKeySet = errors.New("batch: bad key set")
	// ErrDuplicateKey reports two keys with the same usage, algorithm and
	// version; it wraps ErrKeySet.
	ErrDuplicateKey = errors.New("batch: bad key set: duplicate key (same usage, alg and version)")
	// ErrClosed reports a call on a closed Verifier.
	ErrClosed = errors.New("batch: verifier closed")
	// ErrShortResults reports a results slice shorter than the records.
	ErrShortResults = errors.New("batch: results shorter than records")
	// ErrOptions reports Options out of range (Workers above MaxWorkers).
	ErrOptions = errors.New("batch: bad options")
)

// MaxWorkers bounds Options.Workers. Each worker holds its own parent-key
// cache (a few MiB), so a mistyped count would otherwise exhaust memory.
// The default, GOMAXPROCS, is capped at it.
const MaxWorkers = 1024

// RecordError is a malformed-record error: the field at fault and the
// problem. It wraps ErrMalformed. Values are allocated once, so reporting
// one costs nothing.
type RecordError struct {
	Field  string // the record field at fault, "" for the line as a whole
	Reason string
	msg    string
}

func newRecordError(field, reason string) *RecordError {
	e := &RecordError{Field: field, Reason: reason}
	e.msg = e.text()
	return e
}

// Error returns "batch: malformed record: field: reason".
func (e *RecordError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.text()
}

func (e *RecordError) text() string {
	if e.Field == "" {
		return "batch: malformed record: " + e.Reason
	}
	return "batch: malformed record: " + e.Field + ": " + e.Reason
}

// Unwrap returns ErrMalformed.
func (e *RecordError) Unwrap() error { return ErrMalformed }

// MasterKey is one issuer master key of a KeySet.
type MasterKey struct {
	Usage   Usage
	Alg     diversify.Alg
	Version uint8
	// Levels is how many factors a record must supply to reach the card
	// key from this key (0: the key is the card key).
	Levels int
	// Key is the 16-byte key (two-key 3DES or SM4).
	Key [16]byte
	// KCV is the expected key check value (its first KCVLen bytes);
	// KCVLen 0 means none is given. NewVerifier and ParseKeySet check it.
	KCV    [3]byte
	KCVLen int
}

// KeySet is a profile and its master keys. Its keys are secret: Wipe it when
// done (a Verifier keeps its own copy).
type KeySet struct {
	// Profile holds the rules for SM4 session and TAC keys, padding and
	// factor order.
	Profile *mac.Profile
	// Keys are the master keys; (Usage, Alg, Version) must be unique.
	Keys []MasterKey
}

// Options tune a Verifier. The zero value is the default.
type Options struct {
	// Workers is the number of goroutines Verify uses (the caller's
	// included); 0 means runtime.GOMAXPROCS(0), at most MaxWorkers. More
	// than MaxWorkers is an error (ErrOptions).
	Workers int
	// Scalar makes every record take the scalar path of package mac (no
	// SIMD lanes), for comparisons. On a CPU without AVX2 the SM4 lanes
	// are bitsliced (asm.Impl() is "generic"): the scalar path is then
	// slower for SM4 records even if package sm4 has GFNI (sm4.Impl() is
	// "gfni"; on the development VM, demo records 931-953 against 844 ns,
	// single-level TACs 330 against 246 ns), about twice as slow with
	// AES-NI alone, and about 30 times slower if it is generic too (-tags
	// purego, or a CPU without either).
	Scalar bool
	// CacheEntries bounds, per worker, the cache of derived parent keys of
	// the card level (for keys with 2 or more levels); 0 means 4096. It is
	// rounded up to a power of two. The cache starts at 1024 entries (or
	// the bound, if lower) and doubles, up to the bound, once more than one
	// lookup in 256 evicts a key: a key set with more parents than fit. An
	// entry takes about 2 KiB.
	CacheEntries int
}

// Format is the input format of VerifyStream.
type Format uint8

// Stream formats.
const (
	// FormatAuto detects JSON Lines when the first non-blank byte of the
	// input is '{', CSV otherwise.
	FormatAuto Format = iota
	// FormatJSON is one JSON object per line (see ParseRecord).
	FormatJSON
	// FormatCSV is comma-separated values with a header line of the JSON
	// field names (see ParseCSVHeader).
	FormatCSV
)

// StreamOptions tune VerifyStream. The zero value is the default.
type StreamOptions struct {
	// Format is the input format.
	Format Format
	// MaxLineBytes caps a line's length (line end excluded); a longer line
	// is reported malformed and the rest of it skipped. 0 means 64 KiB;
	// more than 1 GiB means 1 GiB.
	MaxLineBytes int
	// BatchLines is how many lines are verified together; 0 means 8192 or
	// 2048 per worker, whichever is more. A batch also ends after 4 MiB of
	// lines or 1 MiB per worker, whichever is more. Three batches are held
	// at a time: the workers split, parse and verify one and format the
	// results of the one before, while the caller's goroutine writes the
	// results of the one before that and reads the next. With lines of
	// about 300 bytes that is about 3 MiB per worker (12 MiB at least).
	BatchLines int
}

// Summary counts the lines of a stream by status.
type Summary struct {
	Lines      int64 // result lines written (CSV header excluded)
	OK         int64
	Mismatch   int64
	UnknownKey int64
	Malformed  int64
}
