// Command onnxrun loads, checks and runs ONNX models.
//
//	onnxrun info MODEL [--json]            what a model holds
//	onnxrun shapes MODEL [--dim N=8] [--json] [-o annotated.onnx]
//	onnxrun run MODEL INPUT... [-o DIR]    run a model (also: onnxrun MODEL INPUT...)
//	onnxrun bench MODEL [INPUT...]         time a model
//
// Exit status: 0 on success, 1 when the model or an input is bad or a run
// fails, 2 for usage errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// command is one subcommand. run returns the process exit status.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// register adds a subcommand; each subcommand's file calls it from init.
func register(c command) { commands[c.name] = c }

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := safeDispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the subcommand args name; a first argument that is not a
// subcommand but a file is taken as `run`.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	}
	if c, ok := commands[args[0]]; ok {
		return c.run(ctx, args[1:], stdout, stderr)
	}
	if c, ok := commands["run"]; ok && !strings.HasPrefix(args[0], "-") {
		if _, err := os.Stat(args[0]); err == nil || strings.HasSuffix(args[0], ".onnx") {
			return c.run(ctx, args, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "onnxrun: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: onnxrun COMMAND [ARGS]   (onnxrun MODEL INPUT... is onnxrun run)")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
}

// errUsage marks an error that is the caller's misuse of flags or arguments.
var errUsage = errors.New("usage")

// fail prints err on one line to stderr and returns the exit status for it:
// exitUsage for usage errors, exitFail otherwise.
func fail(stderr io.Writer, cmd string, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(msg) > 2000 { // a path through deeply nested subgraphs, say
		msg = msg[:900] + " ... " + msg[len(msg)-900:]
	}
	fmt.Fprintf(stderr, "onnxrun %s: %s\n", cmd, msg)
	if errors.Is(err, errUsage) {
		return exitUsage
	}
	return exitFail
}

// usageError is a usage error with its own message; it matches errUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

// usagef returns a usage error (exit status 2) with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parseFlags parses args with fs, allowing flags before, between and after
// the positional arguments, which it returns in order; after "--" every
// argument is positional. A bad flag is a usage error; -h or --help returns
// flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first positional argument, or just after
		// a "--" it consumed.
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
