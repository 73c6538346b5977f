//go:build amd64 && !purego

package asm

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestKernelsWipe reads the generated assembly and checks, for every
// exported kernel, that each RET is preceded (after the last branch or
// label) by the zeroing of every vector register the kernel names, and, for
// the kernels with a small frame of spill slots, by stores of a zeroed
// register over the whole frame: key material must not outlive a call in
// registers or on the stack. (fused512, desFused512 and the two-batch
// kernels keep a larger scratch 64-byte aligned through R13; their registers
// are checked here, their frames by TestScratchWiped.) Internal subroutines
// (name<>) are left to their callers.
func TestKernelsWipe(t *testing.T) {
	textRE := regexp.MustCompile(`^TEXT ·(\w+)\(SB\), [^,]+, \$(\d+)-\d+`)
	regRE := regexp.MustCompile(`\b[XYZ](\d+)\b`)
	zeroRE := regexp.MustCompile(`^VPXOR[DQ]? ([XYZ])(\d+), ([XYZ])(\d+), ([XYZ])(\d+)$`)
	storeRE := regexp.MustCompile(`^VMOVDQ[AU](?:8|16|32|64)? ([XYZ])(\d+), (\d+)\(SP\)$`)
	checked := 0
	for _, file := range []string{"sm4_amd64.s", "des_amd64.s", "des_bs4_amd64.s"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		var frame int
		var body []string
		flush := func() {
			if name == "" {
				return
			}
			checked++
			checkWipe(t, file, name, frame, body, regRE, zeroRE, storeRE)
		}
		for _, line := range strings.Split(string(src), "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "TEXT ") {
				flush()
				name, body = "", nil
				if m := textRE.FindStringSubmatch(line); m != nil {
					name = m[1]
					frame, _ = strconv.Atoi(m[2])
				}
				continue
			}
			if line != "" && !strings.HasPrefix(line, "//") && !strings.HasPrefix(line, "DATA") && !strings.HasPrefix(line, "GLOBL") && !strings.HasPrefix(line, "#") {
				body = append(body, line)
			}
		}
		flush()
	}
	if checked < 18 {
		t.Fatalf("checked %d kernels; the parser has lost them", checked)
	}
	t.Logf("%d kernels wipe their vector registers (and small frames) before returning", checked)
}

func checkWipe(t *testing.T, file, name string, frame int, body []string, regRE, zeroRE, storeRE *regexp.Regexp) {
	t.Helper()
	used := map[string]bool{} // register number
	for _, l := range body {
		for _, m := range regRE.FindAllStringSubmatch(l, -1) {
			used[m[1]] = true
		}
	}
	rets := 0
	for i, l := range body {
		if l != "RET" {
			continue
		}
		rets++
		zeroed := map[string]bool{}
		covered := make([]bool, frame)
		for j := i - 1; j >= 0; j-- {
			e := body[j]
			if strings.HasSuffix(e, ":") || strings.HasPrefix(e, "J") || e == "RET" {
				break
			}
			if e == "VZEROALL" {
				for r := range used {
					zeroed[r] = true
				}
			}
			if m := zeroRE.FindStringSubmatch(e); m != nil && m[2] == m[4] && m[4] == m[6] {
				zeroed[m[2]] = true
			}
		}
		// Stores of zeroed registers after the zeroing (scanning forward
		// through the epilogue).
		start := i
		for start > 0 && !strings.HasSuffix(body[start-1], ":") && !strings.HasPrefix(body[start-1], "J") {
			start--
		}
		zeroNow := map[string]bool{}
		for _, e := range body[start:i] {
			if m := zeroRE.FindStringSubmatch(e); m != nil && m[2] == m[4] && m[4] == m[6] {
				zeroNow[m[2]] = true
			}
			if m := storeRE.FindStringSubmatch(e); m != nil && zeroNow[m[2]] {
				off, _ := strconv.Atoi(m[3])
				w := map[string]int{"X": 16, "Y": 32, "Z": 64}[m[1]]
				for k := off; k < off+w && k < frame; k++ {
					covered[k] = true
				}
			}
		}
		for r := range used {
			if !zeroed[r] {
				t.Errorf("%s: %s returns (RET %d) without zeroing vector register %s", file, name, rets, r)
			}
		}
		if frame > 0 && frame <= 1024 {
			for k, c := range covered {
				if !c {
					t.Errorf("%s: %s returns (RET %d) with frame byte %d of %d not zeroed", file, name, rets, k, frame)
					break
				}
			}
		}
	}
	if rets == 0 {
		t.Errorf("%s: %s: no RET found", file, name)
	}
}
