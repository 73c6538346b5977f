package apdu

import (
	"bytes"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in    []byte
		sw    SW
		data  []byte
		le    int
		hasLe bool
	}{
		{[]byte{0x00, 0x84, 0, 0}, OK, nil, 0, false},
		{[]byte{0x00, 0x84, 0, 0, 0x08}, OK, nil, 8, true},
		{[]byte{0x00, 0xB0, 0x96, 0, 0x00}, OK, nil, 256, true},
		{[]byte{0x80, 0x72, 0, 0, 0x04, 1, 2, 3, 4}, OK, []byte{1, 2, 3, 4}, 0, false},
		{[]byte{0x80, 0x72, 0, 0, 0x04, 1, 2, 3, 4, 0x08}, OK, []byte{1, 2, 3, 4}, 8, true},
		{[]byte{0x80, 0x72, 0, 0, 0x04, 1, 2, 3}, WrongLength, nil, 0, false},
		{[]byte{0x80, 0x72, 0, 0, 0x04, 1, 2, 3, 4, 5, 6}, WrongLength, nil, 0, false},
		{[]byte{0x80, 0x72, 0, 0, 0x00, 1}, WrongLength, nil, 0, false},
		{[]byte{0x80, 0x72, 0}, WrongLength, nil, 0, false},
		{nil, WrongLength, nil, 0, false},
	} {
		c, sw := Parse(tc.in)
		if sw != tc.sw {
			t.Errorf("% X: %v, want %v", tc.in, sw, tc.sw)
			continue
		}
		if sw == OK && (!bytes.Equal(c.Data, tc.data) || c.Le != tc.le || c.HasLe != tc.hasLe) {
			t.Errorf("% X: %+v", tc.in, c)
		}
	}
	b := Append(nil, 0x80, 0x70, 1, 2, []byte{9, 9}, 256)
	if !bytes.Equal(b, []byte{0x80, 0x70, 1, 2, 2, 9, 9, 0}) {
		t.Errorf("Append % X", b)
	}
}

func TestSW(t *testing.T) {
	if PINWrong(2) != 0x63C2 || PINWrong(-1) != 0x63C0 || PINWrong(99) != 0x63CF {
		t.Error("PINWrong")
	}
	if n, ok := SW(0x63C1).TriesLeft(); !ok || n != 1 {
		t.Error("TriesLeft")
	}
	if _, ok := MACWrong.TriesLeft(); ok {
		t.Error("9302 is not 63Cx")
	}
	if MACWrong.String() != "9302" {
		t.Error(MACWrong.String())
	}
}
