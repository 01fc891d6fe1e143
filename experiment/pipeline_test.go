package experiment

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// The chaos pipeline (.github/workflows/chaos.yml) is linted by ci/workflows; these tests run the script of
// its chaos step with bash against a stand-in chaoslab, and read each command line it gets with the real
// flag parser, so that the pipeline and `chaoslab run` cannot drift apart.

type workflowFile struct {
	// YAML 1.1 reads the key on as the boolean true.
	On struct {
		WorkflowDispatch struct {
			Inputs map[string]struct {
				Default any `json:"default"`
			} `json:"inputs"`
		} `json:"workflow_dispatch"`
	} `json:"true"`
	Jobs map[string]struct {
		Steps []struct {
			ID  string `json:"id"`
			Run string `json:"run"`
		} `json:"steps"`
	} `json:"jobs"`
}

// chaosStep returns the script of the step with id chaos, and the scenarios the pipeline runs by default.
func chaosStep(t *testing.T) (script string, scenarioList []string) {
	t.Helper()
	raw, err := os.ReadFile("../.github/workflows/chaos.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf workflowFile
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if s.ID == "chaos" {
				script = s.Run
			}
		}
	}
	def, _ := wf.On.WorkflowDispatch.Inputs["scenarios"].Default.(string)
	if script == "" || def == "" {
		t.Fatalf("chaos.yml: no step with id chaos (%d bytes) or no default scenarios (%q)", len(script), def)
	}
	return script, strings.Fields(def)
}

// stubChaoslab records its arguments and exits with the code given for its scenario.
const stubChaoslab = `#!/usr/bin/env bash
printf '%s\n' "$*" >>"$CALLS"
s="" prev=""
for a in "$@"; do [ "$prev" = --scenario ] && s=$a; prev=$a; done
code=$(awk -v s="$s" '$1 == s {print $2}' "$CODES")
exit "${code:-0}"
`

type pipelineRun struct {
	exit   int
	output string
	calls  []string
}

func runChaosStep(t *testing.T, script string, scenarioList []string, codes map[string]int, strict bool) pipelineRun {
	t.Helper()
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "bin", "chaoslab"), []byte(stubChaoslab), 0o755))
	var codeLines strings.Builder
	for s, c := range codes {
		codeLines.WriteString(s + " " + string(rune('0'+c)) + "\n")
	}
	must(t, os.WriteFile(filepath.Join(dir, "codes"), []byte(codeLines.String()), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "step.sh"), []byte(script), 0o644))
	// GitHub runs a step's script as: bash --noprofile --norc -eo pipefail {0}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "step.sh")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "STACK=dev", "SCENARIOS="+strings.Join(scenarioList, " "),
		"STRICT="+map[bool]string{true: "true", false: "false"}[strict],
		"CALLS="+filepath.Join(dir, "calls"), "CODES="+filepath.Join(dir, "codes"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	exit := 0
	if ee, ok := err.(*exec.ExitError); ok {
		exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
	return pipelineRun{exit: exit, output: out.String(), calls: strings.Split(strings.TrimSpace(string(calls)), "\n")}
}

func TestThePipelineRunsEachPresetItClaimsWithValidFlags(t *testing.T) {
	script, list := chaosStep(t)
	for _, s := range list {
		if !slices.Contains(scenarios.PresetNames(), s) {
			t.Errorf("the pipeline runs %q, which is not a preset", s)
		}
	}
	r := runChaosStep(t, script, list, nil, false)
	if r.exit != 0 {
		t.Fatalf("all held: the step exits %d\n%s", r.exit, r.output)
	}
	if len(r.calls) != len(list) {
		t.Fatalf("chaoslab called %d times for %d scenarios: %q", len(r.calls), len(list), r.calls)
	}
	for i, call := range r.calls {
		fields := strings.Fields(call)
		if len(fields) == 0 || fields[0] != "run" {
			t.Fatalf("call %q is not chaoslab run", call)
		}
		o, err := ParseArgs(fields[1:])
		if err != nil {
			t.Errorf("chaoslab run %s: %v", call, err)
			continue
		}
		if len(o.Scenarios) != 1 || o.Scenarios[0] != list[i] || o.Stack != "dev" || o.OutDir != "reports/"+list[i] {
			t.Errorf("call %d: %+v, want scenario %s, stack dev, --out reports/%s", i, o, list[i], list[i])
		}
		if list[i] == "ad-failure" && o.For == 0 {
			t.Errorf("the flag fault ad-failure runs without --for: chaoslab run would refuse it")
		}
		if o.For == 0 {
			t.Errorf("%s has no --for: a Schedule that never runs would hold the job until its timeout", list[i])
		}
	}
}

func TestThePipelineFailsOnAViolatedSLOAndKeepsGoing(t *testing.T) {
	script, list := chaosStep(t)
	first, last := list[0], list[len(list)-1]
	cases := []struct {
		name   string
		codes  map[string]int
		strict bool
		exit   int
		says   string
	}{
		{"violated", map[string]int{first: ExitViolated}, false, 1, "::error title=SLO violated::" + first + " violated an SLO"},
		{"setup error", map[string]int{last: ExitSetup}, false, 1, "::error title=chaoslab run failed::" + last + " exited 1"},
		{"could not judge", map[string]int{first: ExitUnknown}, false, 0, "::warning title=No verdict::" + first},
		{"could not judge, strict", map[string]int{first: ExitUnknown}, true, 1, "::warning title=No verdict::" + first},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runChaosStep(t, script, list, c.codes, c.strict)
			if r.exit != c.exit {
				t.Errorf("step exit %d, want %d\n%s", r.exit, c.exit, r.output)
			}
			if !strings.Contains(r.output, c.says) {
				t.Errorf("output lacks %q:\n%s", c.says, r.output)
			}
			if len(r.calls) != len(list) {
				t.Errorf("a failing scenario stopped the others: %d calls for %d scenarios", len(r.calls), len(list))
			}
		})
	}
}
