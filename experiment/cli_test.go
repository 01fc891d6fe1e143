package experiment

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
)

func TestHelpHasAUsageLineADescriptionAnExampleAndTheExitCodes(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), []string{arg}, &stdout, &stderr, Wiring{}); code != ExitOK || stderr.Len() > 0 {
			t.Errorf("%s: exit %d, stderr %q; want 0 and the help on stdout", arg, code, stderr.String())
		}
		help := stdout.String()
		for _, want := range []string{
			"Usage:\n  chaoslab run --stack NAME --scenario NAME",
			"switches the scenarios on in Pulumi.<stack>.yaml",
			"--for duration", "--runs int", "--after duration", "--prometheus string", "--recover",
			"chaoslab run --stack dev --scenario checkout-pod-kill",
			exitcode.Help("run"),
		} {
			if !strings.Contains(help, want) {
				t.Errorf("%s: help lacks %q:\n%s", arg, want, help)
			}
		}
	}
}

func TestUsageErrorsNameTheFlagAndExit1(t *testing.T) {
	cases := map[string][]string{
		"--stack is required":                       {"--scenario", "x"},
		"--scenario is required":                    {"--stack", "dev"},
		"--recover takes the scenarios":             {"--stack", "dev", "--recover", "--scenario", "x"},
		"unexpected argument \"checkout-pod-kill\"": {"--stack", "dev", "checkout-pod-kill"},
		"must not be negative":                      {"--stack", "dev", "--scenario", "x", "--for", "-1m"},
		"unknown flag: --sceanrio":                  {"--stack", "dev", "--sceanrio", "x"},
		"did you mean --stack?":                     {"-stack", "dev", "--scenario", "x"},
		"expected an absolute http(s) URL":          {"--stack", "dev", "--scenario", "x", "--prometheus", "localhost:9090"},
		"--dir /nowhere: no Pulumi.yaml there":      {"--stack", "dev", "--scenario", "x", "--dir", "/nowhere"},
	}
	for want, args := range cases {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), args, &stdout, &stderr, Wiring{}); code != ExitSetup {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("%v: stderr lacks %q:\n%s", args, want, stderr.String())
		}
	}
}

func TestScenariosRepeatOrCommaSeparate(t *testing.T) {
	o, err := ParseArgs([]string{"--stack", "dev", "--scenario", "a,b", "--scenario", "c", "--scenario", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(uniqueNames(o.Scenarios), " "); got != "a b c" {
		t.Errorf("scenarios %q, want a b c", got)
	}
	if o.After != 5*time.Minute || o.For != 0 || o.Runs != 0 {
		t.Errorf("defaults: %+v", o)
	}
}

func TestTheProjectIsFoundFromASubdirectory(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: x\n"), 0o644))
	sub := filepath.Join(dir, "a", "b")
	must(t, os.MkdirAll(sub, 0o755))
	t.Chdir(sub)
	got, err := projectDir("")
	if err != nil || got != dir {
		t.Errorf("projectDir = %q, %v; want %q", got, err, dir)
	}
}

func TestNotifyInterruptsCatchesSIGTERMInsteadOfDying(t *testing.T) {
	signals, stop := NotifyInterrupts()
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case sig := <-signals:
		if sig != syscall.SIGTERM {
			t.Errorf("got %v", sig)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM was not delivered to the channel")
	}
}
