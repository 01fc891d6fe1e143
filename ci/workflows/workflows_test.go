package workflows

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// workflowsDir is .github/workflows of the repository this module sits in.
const workflowsDir = "../../.github/workflows"

func linter(t *testing.T, out *bytes.Buffer) *actionlint.Linter {
	t.Helper()
	opts := &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever, Oneline: true}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	} else {
		// The root module's testtool format, so that make test lists this skip with the others.
		msg := "testtool: skipped for want of shellcheck: apt-get install -y shellcheck, then make test: shellcheck on the workflows' run: scripts"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log(msg)
	}
	l, err := actionlint.NewLinter(out, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestEveryWorkflowPassesActionlint(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(workflowsDir, "*.yml"))
	more, _ := filepath.Glob(filepath.Join(workflowsDir, "*.yaml"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatalf("no workflow in %s", workflowsDir)
	}
	var out bytes.Buffer
	errs, err := linter(t, &out).LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Errorf("actionlint found %d problem(s):\n%s", len(errs), out.String())
	}
}

// The lint must be able to fail: a workflow with a typo in an expression and an unknown runner key.
func TestActionlintCatchesABrokenWorkflow(t *testing.T) {
	broken := []byte(`on: push
jobs:
  x:
    runs-on: ubuntu-24.04
    step:
      - run: echo ${{ github.refx }}
`)
	var out bytes.Buffer
	errs, err := linter(t, &out).Lint("broken.yml", broken, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) == 0 {
		t.Fatal("actionlint accepted a broken workflow")
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		return
	}
	unquoted := []byte(`on: push
jobs:
  x:
    runs-on: ubuntu-24.04
    steps:
      - run: rm -rf $DIR/out
`)
	out.Reset()
	errs, err = linter(t, &out).Lint("unquoted.yml", unquoted, nil)
	if err != nil || !strings.Contains(out.String(), "SC2086") {
		t.Errorf("shellcheck did not flag an unquoted variable (%v):\n%s", err, out.String())
	}
}

func parseChaos(t *testing.T) *actionlint.Workflow {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(workflowsDir, "chaos.yml"))
	if err != nil {
		t.Fatal(err)
	}
	wf, errs := actionlint.Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("chaos.yml: %v", errs)
	}
	return wf
}

func TestChaosWorkflowRunsOnAScheduleAndByHand(t *testing.T) {
	wf := parseChaos(t)
	var scheduled bool
	var dispatch *actionlint.WorkflowDispatchEvent
	for _, ev := range wf.On {
		switch e := ev.(type) {
		case *actionlint.ScheduledEvent:
			scheduled = len(e.Schedules) > 0
		case *actionlint.WorkflowDispatchEvent:
			dispatch = e
		}
	}
	if !scheduled || dispatch == nil {
		t.Fatalf("chaos.yml must run on a schedule and by hand (workflow_dispatch): scheduled %t, dispatch %v", scheduled, dispatch != nil)
	}
	in := dispatch.Inputs["scenarios"]
	if in == nil || in.Default == nil || strings.TrimSpace(in.Default.Value) == "" {
		t.Fatal("workflow_dispatch needs a scenarios input with the default list")
	}
	if strict := dispatch.Inputs["strict"]; strict == nil || strict.Type != actionlint.WorkflowDispatchEventInputTypeBoolean {
		t.Error("workflow_dispatch needs a boolean strict input")
	}
	// A scheduled run has no inputs: the env must fall back to the very same list.
	env := wf.Env.Vars["scenarios"]
	if env == nil || !strings.Contains(env.Value.Value, "inputs.scenarios || '"+in.Default.Value+"'") {
		t.Errorf("env SCENARIOS must default to the input's default %q, got %v", in.Default.Value, env)
	}
}

// steps returns the job's steps with their run scripts or used actions.
func chaosSteps(t *testing.T) []*actionlint.Step {
	t.Helper()
	wf := parseChaos(t)
	if len(wf.Jobs) != 1 {
		t.Fatalf("chaos.yml: want one job, got %d", len(wf.Jobs))
	}
	for _, j := range wf.Jobs {
		return j.Steps
	}
	return nil
}

func run(s *actionlint.Step) string {
	if r, ok := s.Exec.(*actionlint.ExecRun); ok && r.Run != nil {
		return r.Run.Value
	}
	return ""
}

func uses(s *actionlint.Step) string {
	if a, ok := s.Exec.(*actionlint.ExecAction); ok && a.Uses != nil {
		return a.Uses.Value
	}
	return ""
}

func always(s *actionlint.Step) bool {
	return s.If != nil && strings.Contains(strings.ReplaceAll(s.If.Value, " ", ""), "always()")
}

func TestChaosWorkflowRunsEachScenarioUploadsTheReportsAndAlwaysTearsDown(t *testing.T) {
	steps := chaosSteps(t)
	index := func(match func(*actionlint.Step) bool) int { return slices.IndexFunc(steps, match) }
	up := index(func(s *actionlint.Step) bool { return strings.Contains(run(s), "make up") })
	build := index(func(s *actionlint.Step) bool { return strings.Contains(run(s), "make chaoslab") })
	chaos := index(func(s *actionlint.Step) bool { return strings.Contains(run(s), "bin/chaoslab run") && !always(s) })
	upload := index(func(s *actionlint.Step) bool { return strings.HasPrefix(uses(s), "actions/upload-artifact@") })
	teardown := index(func(s *actionlint.Step) bool { return strings.Contains(run(s), "make down") })
	if up < 0 || build < 0 || chaos < 0 || upload < 0 || teardown < 0 {
		t.Fatalf("missing steps: make up %d, make chaoslab %d, chaoslab run %d, upload-artifact %d, make down %d", up, build, chaos, upload, teardown)
	}
	if !(up < chaos && build < chaos && chaos < upload && upload < teardown) {
		t.Errorf("order: make up %d, make chaoslab %d, chaoslab run %d, upload %d, teardown %d", up, build, chaos, upload, teardown)
	}

	script := run(steps[chaos])
	for _, want := range []string{"for s in $SCENARIOS", `--scenario "$s"`, `--out "reports/$s"`, `--stack "$STACK"`} {
		if !strings.Contains(script, want) {
			t.Errorf("the chaos step does not run chaoslab for each scenario: lacks %q", want)
		}
	}
	if c := steps[chaos].ContinueOnError; c != nil && c.Value {
		t.Error("the chaos step continues on error: a violated SLO would not fail the job")
	}

	a := steps[upload].Exec.(*actionlint.ExecAction)
	if !always(steps[upload]) || a.Inputs["path"] == nil || !strings.Contains(a.Inputs["path"].Value.Value, "reports") {
		t.Errorf("the reports must be uploaded with if: always() from reports/ (if %v, with %v)", steps[upload].If, a.Inputs)
	}
	td := steps[teardown]
	if !always(td) || !strings.Contains(run(td), "minikube delete") {
		t.Errorf("teardown must run with if: always() and delete Minikube: if %v, run %q", td.If, run(td))
	}
	if teardown != len(steps)-1 {
		t.Errorf("teardown is not the last step")
	}
}

func TestEveryActionIsPinnedToAtLeastAMajorVersion(t *testing.T) {
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$`)
	for _, s := range chaosSteps(t) {
		if u := uses(s); u != "" && !pinned.MatchString(u) {
			t.Errorf("%s is not pinned to a version (vN, vN.N.N or a commit)", u)
		}
	}
}
