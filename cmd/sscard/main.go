// Command sscard verifies PBOC / social-security card transactions in bulk
// and measures how fast each path does it.
//
//	sscard bench [-n N] [-json]            the main job on the built-in demo workload
//	sscard gen -keys KEYS.json -n N …      synthetic clearing records (JSON Lines)
//	sscard verify -keys KEYS.json …        verify a clearing file, one result per line
//	sscard keys -demo                      print the demo key set
//	sscard kcv -alg sm4 -key HEX           print a key check value
//
// Exit status: 0 when every record verified, 1 when any was rejected, 2 for
// usage or I/O errors.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: sscard <command> [flags]

commands:
  bench   [-n N] [-json]                       verify N synthetic records with every path, print a table
  gen     -keys KEYS.json -n N [-seed S] [-tamper F] [-alg sm4|3des|mixed] [-types purchase,load,...]
  verify  -keys KEYS.json [-in FILE] [-out FILE] [-workers N] [-format jsonl|csv] [-max-line BYTES]
  keys    -demo                                print the built-in demo key set
  kcv     -alg sm4|3des -key HEX               print a key check value

run 'sscard <command> -h' for a command's flags.
`

// exitError carries an exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageErr(format string, a ...any) error {
	return &exitError{2, fmt.Errorf(format, a...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "bench":
		err = cmdBench(args[1:], stdout, stderr)
	case "gen":
		err = cmdGen(args[1:], stdout, stderr)
	case "verify":
		err = cmdVerify(args[1:], stdin, stdout, stderr)
	case "keys":
		err = cmdKeys(args[1:], stdout, stderr)
	case "kcv":
		err = cmdKCV(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sscard: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err == nil {
		return 0
	}
	code := 2
	if e, ok := err.(*exitError); ok {
		code = e.code
		err = e.err
	}
	if err != errSilent {
		fmt.Fprintf(stderr, "sscard %s: %v\n", args[0], err)
	}
	return code
}

// errSilent ends a command with its exit status and no message (the command
// already reported).
var errSilent = fmt.Errorf("silent")
