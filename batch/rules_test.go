package batch

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/race"
	"github.com/sscard/sscard/mac"
)

// TestFactorRules verifies records whose factors are short (under 16 hex
// digits) or 16 bytes long (32 digits) under each factor rule: SPEC's
// (short right-padded, 16 bytes two levels), left-padded, refused, one SM4
// block, and one block with the factors lowest first. The expected MACs
// come from package mac with card keys from mac.Profile.Derive (itself
// checked against package diversify and emmansun/gmsm). Every path, both
// families; a changed TAC is a TAC mismatch; a record file written back
// by AppendJSON and AppendCSV reads the same.
func TestFactorRules(t *testing.T) {
	const (
		short = "3717"
		full  = "0123456789abcdef"
		wide  = "00112233445566778899aabbccddeeff"
	)
	// Whole factors first: the records after them with as many levels
	// share their header, the fast routes' test.
	lists := [][]string{{full, full}, {full}, {short, full}, {wide, full}, {full, wide}, {short, wide}, {wide}, {"00ff00ff00ff00"}}
	profiles := []*mac.Profile{
		mac.SM4Profile,
		{Name: "left", AllowSM4: true, AllowTDES: true, ShortFactor: mac.ShortPadLeft},
		{Name: "strict", AllowSM4: true, AllowTDES: true, ShortFactor: mac.ShortRefused},
		{Name: "one", AllowSM4: true, AllowTDES: true, SM4LongFactor: mac.LongOneBlock},
		{Name: "one-low", AllowSM4: true, AllowTDES: true, SM4LongFactor: mac.LongOneBlock, FactorOrder: mac.LowestFirst},
	}
	for pi, p := range profiles {
		t.Run("profile="+p.Name, func(t *testing.T) {
			var ks KeySet
			ks.Profile = p
			var lines []string
			var want []Status
			for ai, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
				for li, list := range lists {
					raw := make([][]byte, len(list))
					for i, s := range list {
						raw[i], _ = hex.DecodeString(s)
					}
					levels, err := p.Levels(alg, raw...)
					if err != nil {
						t.Fatal(err)
					}
					// One key version per level count.
					ver := uint8(levels)
					var dpk, dtk [16]byte
					for _, u := range []Usage{UsagePurchase, UsageTAC} {
						k := MasterKey{Usage: u, Alg: alg, Version: ver, Levels: levels}
						for i := range k.Key {
							k.Key[i] = byte(pi*31 + ai*17 + levels*7 + int(u)*3 + i)
						}
						if refKey(&ks, u, alg, ver) == nil {
							ks.Keys = append(ks.Keys, k)
						}
						dst := &dpk
						if u == UsageTAC {
							dst = &dtk
						}
						if err := p.Derive(alg, dst, &k.Key, raw...); err != nil {
							if !errors.Is(err, diversify.ErrFactor) || p.ShortFactor != mac.ShortRefused {
								t.Fatalf("%v %v: %v", alg, list, err)
							}
						}
					}
					tx := &mac.Purchase{Type: 6, Amount: 1000 + uint32(li), Terminal: [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55},
						TermSeq: [4]byte{0, 0, 0, 9}, Date: [4]byte{0x20, 0x26, 0x12, 0x05}, Time: [3]byte{0x10, 0x20, 0x30},
						Random: [4]byte{1, 2, 3, byte(li)}, OfflineSeq: 7}
					m1, _ := mac.MAC1(p, alg, &dpk, tx)
					m2, _ := mac.MAC2(p, alg, &dpk, tx)
					tac, _ := mac.TAC(p, alg, &dtk, tx)
					line := func(tac [4]byte, session bool) string {
						macs := ""
						if session {
							macs = fmt.Sprintf(`"mac1":"%x","mac2":"%x",`, m1, m2)
						}
						return fmt.Sprintf(`{"type":"purchase","alg":%q,"key_version":%d,"factors":["%s"],"amount":%d,`+
							`"terminal_id":"001122334455","terminal_seq":"00000009","date":"20261205","time":"102030",`+
							`"card_random":"010203%02x","offline_seq":7,%s"tac":"%x"}`,
							alg, ver, strings.Join(list, `","`), tx.Amount, li, macs, tac)
					}
					ok, bad := StatusOK, StatusMismatch
					if p.ShortFactor == mac.ShortRefused && len(raw[0]) < 8 || len(list) > 1 && len(raw[1]) < 8 && p.ShortFactor == mac.ShortRefused {
						ok, bad = StatusMalformed, StatusMalformed
					}
					bt := [4]byte{tac[0] ^ 1, tac[1], tac[2], tac[3]}
					lines = append(lines, line(tac, true), line(bt, true), line(tac, false), line(bt, false))
					want = append(want, ok, bad, ok, bad)
				}
			}
			if err := ks.Validate(); err != nil {
				t.Fatal(err)
			}
			recs := make([]Record, len(lines))
			for i, l := range lines {
				if err := ParseRecord([]byte(l), &recs[i]); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				// Written back, the factors read the same.
				var back, backCSV Record
				if err := ParseRecord(AppendJSON(nil, &recs[i]), &back); err != nil || back != recs[i] {
					t.Fatalf("line %d: JSON round trip %+v %v", i, back, err)
				}
				// KeySet.Sign reads the factors as the Verifier does.
				signed := recs[i]
				signed.MAC1, signed.MAC2, signed.TAC = [4]byte{}, [4]byte{}, [4]byte{}
				err := ks.Sign(&signed, signed.Present)
				switch {
				case want[i] == StatusMalformed:
					if !errors.Is(err, errFactorRule) {
						t.Fatalf("line %d: Sign of a refused factor: %v", i, err)
					}
				case err != nil:
					t.Fatalf("line %d: Sign: %v", i, err)
				case want[i] == StatusOK && signed != recs[i]:
					t.Fatalf("line %d: Sign gave %x %x %x, want %x %x %x", i, signed.MAC1, signed.MAC2, signed.TAC, recs[i].MAC1, recs[i].MAC2, recs[i].TAC)
				}
				h, _ := ParseCSVHeader([]byte(CSVHeader))
				if err := h.ParseRecord(AppendCSV(nil, &recs[i]), &backCSV); err != nil || backCSV != recs[i] {
					t.Fatalf("line %d: CSV round trip %+v %v", i, backCSV, err)
				}
			}
			forEachPath(t, func(t *testing.T, scalar bool) {
				v, err := NewVerifier(&ks, &Options{Workers: 1, Scalar: scalar})
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				got := make([]Result, len(recs))
				if err := v.Verify(recs, got); err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				if _, err := v.VerifyStream(t.Context(), strings.NewReader(strings.Join(lines, "\n")), &out, &StreamOptions{Format: FormatJSON}); err != nil {
					t.Fatal(err)
				}
				outLines := strings.Split(strings.TrimSpace(out.String()), "\n")
				if !race.Enabled {
					if a := testing.AllocsPerRun(10, func() { v.Verify(recs, got) }); a != 0 {
						t.Errorf("%v allocs per Verify", a)
					}
				}
				for i := range recs {
					g := got[i]
					if g.Status != want[i] || g.Status == StatusMismatch && g.Fields != FieldTAC ||
						g.Status == StatusMalformed && !errors.Is(g.Err, errFactorRule) {
						t.Errorf("record %d (%s): %v %v %v, want %v", i, lines[i][:60], g.Status, g.Fields, g.Err, want[i])
					}
					if wantLine := string(AppendResultJSON(nil, int64(i+1), &g)); outLines[i] != wantLine {
						t.Errorf("stream line %d: %s, want %s", i+1, outLines[i], wantLine)
					}
				}
			})
		})
	}
}

// TestFactorRulesBadWide: under the one-block rule a Wide bit that marks
// no pair is malformed; under the two-level rule Wide is not looked at.
func TestFactorRulesBadWide(t *testing.T) {
	one := &mac.Profile{Name: "one", AllowSM4: true, SM4LongFactor: mac.LongOneBlock}
	for _, c := range []struct {
		p    *mac.Profile
		wide uint8
		want Status
	}{
		{one, 1 << 1, StatusMalformed}, // past the last factor
		{one, 3, StatusMalformed},      // overlapping pairs
		{mac.SM4Profile, 1 << 1, StatusOK},
		{&mac.Profile{Name: "left", AllowSM4: true, ShortFactor: mac.ShortPadLeft}, 1 << 1, StatusOK},
	} {
		ks := &KeySet{Profile: c.p, Keys: []MasterKey{{Usage: UsageTAC, Alg: diversify.SM4, Version: 1, Levels: 2, Key: [16]byte{1}}}}
		r := Record{Kind: mac.KindPurchase, Alg: diversify.SM4, KeyVersion: 1, NFactors: 2,
			Factors: [MaxFactors]diversify.Factor{{1}, {2}}, Date: [4]byte{0x20, 0x26, 0x12, 0x05}, Present: FieldTAC, Wide: c.wide}
		var card [16]byte
		diversify.Derive(diversify.SM4, &card, &ks.Keys[0].Key, r.Factors[:2])
		tr := &mac.Purchase{Type: 6, Date: r.Date}
		r.TAC, _ = mac.TAC(c.p, diversify.SM4, &card, tr)
		v, err := NewVerifier(ks, &Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		res := make([]Result, 1)
		v.Verify([]Record{r}, res)
		v.Close()
		if res[0].Status != c.want || c.want == StatusMalformed && !errors.Is(res[0].Err, errWide) {
			t.Errorf("%s Wide %b: %v %v, want %v", c.p.Name, c.wide, res[0].Status, res[0].Err, c.want)
		}
	}
}
