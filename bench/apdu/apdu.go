// Package apdu parses and builds short ISO/IEC 7816-4 command APDUs and names
// the status words of the sscard PSAM and card models (SPEC §5).
//
// It is the transport layer of the reference world in this module: a
// software PSAM (package psam) and a software user card (package card) take
// command bytes and answer response data and a status word, exactly as a
// terminal talks to real cards, one command at a time.
package apdu

import "fmt"

// SW is a status word (SW1 SW2).
type SW uint16

// Status words. The first group is SPEC §5; the rest are the ISO/IEC 7816-4
// answers to malformed commands.
const (
	OK              SW = 0x9000 // success
	Locked          SW = 0x6983 // PIN (authentication method) blocked
	NoChallenge     SW = 0x6984 // reference data unusable: no challenge
	Conditions      SW = 0x6985 // conditions of use not satisfied
	SMMACWrong      SW = 0x6988 // secure-messaging MAC wrong
	MACWrong        SW = 0x9302 // transaction MAC wrong
	AppLocked       SW = 0x9303 // application locked
	Insufficient    SW = 0x9401 // insufficient balance
	KeyNotFound     SW = 0x9403 // key (usage, version, algorithm) not found
	WrongLength     SW = 0x6700 // wrong Lc or Le
	WrongData       SW = 0x6A80 // incorrect parameters in the data field
	WrongP1P2       SW = 0x6A86 // incorrect P1 P2
	INSNotSupported SW = 0x6D00 // instruction not supported
	CLANotSupported SW = 0x6E00 // class not supported
)

// PINWrong returns 63Cx: a wrong PIN with x tries left (0 to 15).
func PINWrong(left int) SW {
	if left < 0 {
		left = 0
	}
	if left > 15 {
		left = 15
	}
	return 0x63C0 | SW(left)
}

// TriesLeft reports x of a 63Cx status word and whether sw is one.
func (sw SW) TriesLeft() (int, bool) {
	if sw&0xFFF0 != 0x63C0 {
		return 0, false
	}
	return int(sw & 0x0F), true
}

// String returns the status word as four hex digits.
func (sw SW) String() string { return fmt.Sprintf("%04X", uint16(sw)) }

// Error is a status word other than 9000 answered to a named command.
type Error struct {
	Command string // e.g. "DEBIT FOR PURCHASE"
	SW      SW
}

// Error returns "apdu: COMMAND answered SW".
func (e *Error) Error() string { return fmt.Sprintf("apdu: %s answered %v", e.Command, e.SW) }

// Command is a parsed short command APDU.
type Command struct {
	CLA, INS, P1, P2 byte
	// Data is the command data (Lc bytes); it aliases the parsed buffer.
	Data []byte
	// Le is the expected response length (1 to 256) when HasLe is set.
	Le    int
	HasLe bool
}

// Parse parses a short command APDU of ISO/IEC 7816-3 case 1 to 4. It answers
// WrongLength for a truncated command, an Lc that disagrees with the bytes
// present, and extended-length encodings (Lc = 00), which the models do not
// support.
func Parse(b []byte) (Command, SW) {
	var c Command
	if len(b) < 4 {
		return c, WrongLength
	}
	c.CLA, c.INS, c.P1, c.P2 = b[0], b[1], b[2], b[3]
	switch {
	case len(b) == 4: // case 1
	case len(b) == 5: // case 2
		c.HasLe = true
		c.Le = int(b[4])
		if c.Le == 0 {
			c.Le = 256
		}
	default:
		lc := int(b[4])
		if lc == 0 {
			return c, WrongLength
		}
		switch len(b) {
		case 5 + lc: // case 3
		case 6 + lc: // case 4
			c.HasLe = true
			c.Le = int(b[5+lc])
			if c.Le == 0 {
				c.Le = 256
			}
		default:
			return c, WrongLength
		}
		c.Data = b[5 : 5+lc]
	}
	return c, OK
}

// Append appends a short command APDU to dst: the header, then Lc and data
// when data is not empty, then Le when le is 1 to 256 (256 encodes as 00).
// A negative or zero le means no Le. data must be at most 255 bytes.
func Append(dst []byte, cla, ins, p1, p2 byte, data []byte, le int) []byte {
	dst = append(dst, cla, ins, p1, p2)
	if len(data) > 0 {
		dst = append(dst, byte(len(data)))
		dst = append(dst, data...)
	}
	if le > 0 {
		dst = append(dst, byte(le))
	}
	return dst
}

// Transmitter is anything that answers command APDUs: a card, a PSAM, or a
// reader in front of one. The response data is valid until the next call.
type Transmitter interface {
	Transmit(cmd []byte) ([]byte, SW)
}
