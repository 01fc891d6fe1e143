package scenarios

import (
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// TestFaultKinds renders every fault kind, as a one-shot Workflow and as a Schedule, and checks the spec
// field by field.
func TestFaultKinds(t *testing.T) {
	type check func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool)
	dur := func(got *string, sched bool, want string) string {
		if sched {
			return want
		}
		if got != nil {
			return "duration must not be set inside a workflow template, got " + *got
		}
		return "<nil>"
	}
	cases := []struct {
		fault string
		keys  map[string]any
		kind  string
		check check
	}{
		{"network-delay", map[string]any{"target": "frontend", "to": "product-catalog", "latency": "1000ms", "jitter": "50ms", "correlation": "25", "direction": "both"}, "NetworkChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				n := ec.NetworkChaos
				checkSelector(t, n.PodSelector, "frontend", "one", "")
				wantEq(t, "action", n.Action, v1alpha1.DelayAction)
				wantEq(t, "delay.latency", n.Delay.Latency, "1000ms")
				wantEq(t, "delay.jitter", n.Delay.Jitter, "50ms")
				wantEq(t, "delay.correlation", n.Delay.Correlation, "25")
				wantEq(t, "direction", n.Direction, v1alpha1.Both)
				checkSelector(t, *n.Target, "product-catalog", "all", "")
				wantEq(t, "duration", str(n.Duration), dur(n.Duration, sched, "90s"))
				if n.Loss != nil || n.Bandwidth != nil || n.Corrupt != nil || n.Duplicate != nil {
					t.Error("only delay may be set")
				}
			}},
		{"network-loss", map[string]any{"target": "cart", "loss": 30, "correlation": 0}, "NetworkChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				n := ec.NetworkChaos
				checkSelector(t, n.PodSelector, "cart", "one", "")
				wantEq(t, "action", n.Action, v1alpha1.LossAction)
				wantEq(t, "loss.loss", n.Loss.Loss, "30")
				wantEq(t, "loss.correlation", n.Loss.Correlation, "0")
				wantEq(t, "direction", n.Direction, v1alpha1.Direction(""))
				if n.Target != nil || n.Delay != nil {
					t.Error("no target and no delay expected")
				}
				wantEq(t, "duration", str(n.Duration), dur(n.Duration, sched, "90s"))
			}},
		{"network-duplicate", map[string]any{"target": "currency", "duplicate": "12.5%", "to": "frontend", "direction": "from"}, "NetworkChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				n := ec.NetworkChaos
				wantEq(t, "action", n.Action, v1alpha1.DuplicateAction)
				wantEq(t, "duplicate.duplicate", n.Duplicate.Duplicate, "12.5")
				wantEq(t, "direction", n.Direction, v1alpha1.From)
				checkSelector(t, *n.Target, "frontend", "all", "")
			}},
		{"network-corrupt", map[string]any{"target": "payment", "corrupt": "5", "mode": "fixed", "value": "2"}, "NetworkChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				n := ec.NetworkChaos
				checkSelector(t, n.PodSelector, "payment", "fixed", "2")
				wantEq(t, "action", n.Action, v1alpha1.CorruptAction)
				wantEq(t, "corrupt.corrupt", n.Corrupt.Corrupt, "5")
			}},
		{"network-bandwidth", map[string]any{"target": "image-provider", "rate": "1mbps", "limit": 1000, "buffer": 2000, "mode": "fixed-percent", "value": "50"}, "NetworkChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				n := ec.NetworkChaos
				checkSelector(t, n.PodSelector, "image-provider", "fixed-percent", "50")
				wantEq(t, "action", n.Action, v1alpha1.BandwidthAction)
				wantEq(t, "bandwidth.rate", n.Bandwidth.Rate, "1mbps")
				wantEq(t, "bandwidth.limit", n.Bandwidth.Limit, uint32(1000))
				wantEq(t, "bandwidth.buffer", n.Bandwidth.Buffer, uint32(2000))
			}},
		{"network-partition", map[string]any{"target": "checkout", "to": "kafka"}, "NetworkChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				n := ec.NetworkChaos
				checkSelector(t, n.PodSelector, "checkout", "one", "")
				wantEq(t, "action", n.Action, v1alpha1.PartitionAction)
				wantEq(t, "direction", n.Direction, v1alpha1.To)
				checkSelector(t, *n.Target, "kafka", "all", "")
				if n.Delay != nil || n.Loss != nil || n.Bandwidth != nil {
					t.Error("partition takes no tc parameters")
				}
			}},
		{"cpu-stress", map[string]any{"target": "recommendation", "workers": 2, "load": 80, "container": "recommendation"}, "StressChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				s := ec.StressChaos
				checkSelector(t, s.PodSelector, "recommendation", "one", "")
				wantEq(t, "containerNames", strings.Join(s.ContainerNames, ","), "recommendation")
				wantEq(t, "stressors.cpu.workers", s.Stressors.CPUStressor.Workers, 2)
				wantEq(t, "stressors.cpu.load", *s.Stressors.CPUStressor.Load, 80)
				wantEq(t, "stressngStressors", s.StressngStressors, "")
				if s.Stressors.MemoryStressor != nil {
					t.Error("no memory stressor expected")
				}
				wantEq(t, "duration", str(s.Duration), dur(s.Duration, sched, "90s"))
			}},
		{"cpu-stress", map[string]any{"target": "recommendation", "workers": "all", "load": 70}, "StressChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				s := ec.StressChaos
				wantEq(t, "stressngStressors", s.StressngStressors, "--cpu 0 --cpu-load 70")
				if s.Stressors != nil {
					t.Error("workers all uses stress-ng options, not typed stressors")
				}
			}},
		{"memory-stress", map[string]any{"target": "email", "size": "256MB"}, "StressChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				s := ec.StressChaos
				checkSelector(t, s.PodSelector, "email", "one", "")
				wantEq(t, "stressors.memory.workers", s.Stressors.MemoryStressor.Workers, 1)
				wantEq(t, "stressors.memory.size", s.Stressors.MemoryStressor.Size, "256MB")
				if s.Stressors.CPUStressor != nil || len(s.ContainerNames) != 0 {
					t.Error("no cpu stressor and no container expected")
				}
			}},
		{"http-delay", map[string]any{"target": "quote", "delay": "500ms", "path": "/getquote", "method": "post"}, "HTTPChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				h := ec.HTTPChaos
				checkSelector(t, h.PodSelector, "quote", "one", "")
				wantEq(t, "target", h.Target, v1alpha1.PodHttpRequest)
				wantEq(t, "port", h.Port, int32(8080))
				wantEq(t, "delay", str(h.Delay), "500ms")
				wantEq(t, "path", str(h.Path), "/getquote")
				wantEq(t, "method", str(h.Method), "POST")
				if h.Abort != nil || h.Replace != nil {
					t.Error("delay only")
				}
				wantEq(t, "duration", str(h.Duration), dur(h.Duration, sched, "90s"))
			}},
		{"http-abort", map[string]any{"target": "email", "port": 8080}, "HTTPChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				h := ec.HTTPChaos
				wantEq(t, "target", h.Target, v1alpha1.PodHttpRequest)
				wantEq(t, "abort", h.Abort != nil && *h.Abort, true)
				wantEq(t, "delay", str(h.Delay), "<nil>")
			}},
		{"http-replace", map[string]any{"target": "shipping", "code": 503, "delay": "200ms"}, "HTTPChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				h := ec.HTTPChaos
				wantEq(t, "target", h.Target, v1alpha1.PodHttpResponse)
				wantEq(t, "replace.code", *h.Replace.Code, int32(503))
				wantEq(t, "delay", str(h.Delay), "200ms")
				wantEq(t, "port", h.Port, int32(8080))
			}},
		{"dns-error", map[string]any{"target": "checkout", "patterns": []any{"payment", "*.svc.cluster.local"}}, "DNSChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				d := ec.DNSChaos
				checkSelector(t, d.PodSelector, "checkout", "one", "")
				wantEq(t, "action", d.Action, v1alpha1.ErrorAction)
				wantEq(t, "patterns", strings.Join(d.DomainNamePatterns, ","), "payment,*.svc.cluster.local")
			}},
		{"dns-random", map[string]any{"target": "frontend"}, "DNSChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				wantEq(t, "action", ec.DNSChaos.Action, v1alpha1.RandomAction)
				wantEq(t, "patterns", len(ec.DNSChaos.DomainNamePatterns), 0)
			}},
		{"io-latency", map[string]any{"target": "product-catalog", "delay": "100ms", "percent": 50, "path": "/tmp/**/*"}, "IOChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				i := ec.IOChaos
				checkSelector(t, i.PodSelector, "product-catalog", "one", "")
				wantEq(t, "action", i.Action, v1alpha1.IoLatency)
				wantEq(t, "delay", i.Delay, "100ms")
				wantEq(t, "percent", i.Percent, 50)
				wantEq(t, "path", i.Path, "/tmp/**/*")
				wantEq(t, "volumePath", i.VolumePath, "/tmp")
				wantEq(t, "errno", i.Errno, uint32(0))
			}},
		{"io-fault", map[string]any{"target": "astronomy-db", "errno": 5, "volumePath": "/var/lib/postgresql/data"}, "IOChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				i := ec.IOChaos
				wantEq(t, "action", i.Action, v1alpha1.IoFaults)
				wantEq(t, "errno", i.Errno, uint32(5))
				wantEq(t, "percent", i.Percent, 100)
				wantEq(t, "volumePath", i.VolumePath, "/var/lib/postgresql/data")
				wantEq(t, "delay", i.Delay, "")
			}},
		{"time-skew", map[string]any{"target": "payment", "offset": "-10m", "container": "payment"}, "TimeChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				tc := ec.TimeChaos
				checkSelector(t, tc.PodSelector, "payment", "one", "")
				wantEq(t, "timeOffset", tc.TimeOffset, "-10m")
				wantEq(t, "containerNames", strings.Join(tc.ContainerNames, ","), "payment")
			}},
		{"pod-kill", map[string]any{"target": "checkout"}, "PodChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				p := ec.PodChaos
				checkSelector(t, p.PodSelector, "checkout", "one", "")
				wantEq(t, "action", p.Action, v1alpha1.PodKillAction)
				wantEq(t, "containerNames", len(p.ContainerNames), 0)
			}},
		{"pod-failure", map[string]any{"target": "kafka", "mode": "all", "allowAll": true}, "PodChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				p := ec.PodChaos
				checkSelector(t, p.PodSelector, "kafka", "all", "")
				wantEq(t, "action", p.Action, v1alpha1.PodFailureAction)
				wantEq(t, "duration", str(p.Duration), dur(p.Duration, sched, "90s"))
			}},
		{"container-kill", map[string]any{"target": "frontend-proxy"}, "PodChaos",
			func(t *testing.T, ec v1alpha1.EmbedChaos, sched bool) {
				p := ec.PodChaos
				wantEq(t, "action", p.Action, v1alpha1.ContainerKillAction)
				wantEq(t, "containerNames (defaults to the component)", strings.Join(p.ContainerNames, ","), "frontend-proxy")
			}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.fault] = true
		for _, sched := range []bool{false, true} {
			name := tc.fault
			if sched {
				name += "/schedule"
			} else {
				name += "/workflow"
			}
			t.Run(name, func(t *testing.T) {
				keys := map[string]any{"enabled": true, "fault": tc.fault}
				for k, v := range tc.keys {
					keys[k] = v
				}
				if tc.fault != "pod-kill" && tc.fault != "container-kill" {
					keys["duration"] = "90s"
				}
				if sched {
					keys["schedule"] = "*/15 * * * *"
				}
				p := one(t, keys, testOpts())
				want := 1
				if sched {
					want = 2 // the Schedule and its kick-off Workflow
				}
				if len(p.Objects) != want {
					t.Fatalf("want %d object(s), got %d", want, len(p.Objects))
				}
				o := p.Objects[0]
				wantEq(t, "object name", o.Name, "s")
				ec, kind, deadline := chaosOf(t, o)
				wantEq(t, "kind", kind, tc.kind)
				if sched {
					sch := o.Typed.(*v1alpha1.Schedule)
					wantEq(t, "Kind", o.Kind, "Schedule")
					wantEq(t, "spec.schedule", sch.Spec.Schedule, "*/15 * * * *")
					wantEq(t, "spec.concurrencyPolicy", sch.Spec.ConcurrencyPolicy, v1alpha1.ForbidConcurrent)
					wantEq(t, "namespace", sch.Namespace, "otel-demo")
					// The kick-off runs the same chaos once, its duration as the step's deadline.
					ko := p.Objects[1]
					wantEq(t, "kick-off name", ko.Name, "s-first")
					wantEq(t, "kick-off Kind", ko.Kind, "Workflow")
					kec, kkind, kdeadline := chaosOf(t, ko)
					wantEq(t, "kick-off kind", kkind, tc.kind)
					wantEq(t, "kick-off deadline", kdeadline, defaultTestDuration(tc.fault))
					tc.check(t, kec, false)
				} else {
					wantEq(t, "Kind", o.Kind, "Workflow")
					wantEq(t, "template deadline", deadline, defaultTestDuration(tc.fault))
					wantEq(t, "namespace", o.Typed.GetNamespace(), "otel-demo")
				}
				tc.check(t, ec, sched)
				wantEq(t, "summary", p.Enabled[0], Summary{Name: "s", Fault: tc.fault, Target: tc.keys["target"].(string), Kind: o.Kind})
				// The manifest is the unstructured form of the typed object.
				wantEq(t, "manifest kind", o.Manifest["kind"], any(o.Kind))
				wantEq(t, "manifest apiVersion", o.Manifest["apiVersion"], any("chaos-mesh.org/v1alpha1"))
				if _, ok := o.Manifest["status"]; ok {
					t.Error("manifest must not carry status")
				}
			})
		}
	}
	for _, f := range FaultNames() {
		if f != string(FlagFault) && f != string(MeshFault) && !seen[f] { // those two have tests of their own
			t.Errorf("fault %s has no table case", f)
		}
	}
}

func TestFlagFault(t *testing.T) {
	p := one(t, map[string]any{"enabled": true, "fault": "flag", "flag": "paymentFailure", "variant": "50%"}, testOpts())
	if len(p.Objects) != 0 {
		t.Fatalf("a flag is not a Chaos Mesh object, got %d objects", len(p.Objects))
	}
	want := `{"flags":{"paymentFailure":{"state":"ENABLED","defaultVariant":"50%","variants":{"10%":0.1,"100%":1,"25%":0.25,"50%":0.5,"75%":0.75,"90%":0.95,"off":0}}}}`
	wantEq(t, "flag overrides", string(p.FlagOverrides), want)
	wantEq(t, "summary", p.Enabled[0], Summary{Name: "s", Fault: "flag", Target: "payment", Kind: "Flag"})

	off := one(t, map[string]any{"enabled": false, "fault": "flag", "flag": "paymentFailure", "variant": "50%"}, testOpts())
	wantEq(t, "disabled flag overrides", string(off.FlagOverrides), `{"flags":{}}`)
}

func TestEmptyConfig(t *testing.T) {
	for _, raw := range []string{"", "null", " ", "{}"} {
		p, err := Build([]byte(raw), testOpts())
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if len(p.Objects) != 0 || len(p.Enabled) != 0 || string(p.FlagOverrides) != `{"flags":{}}` {
			t.Errorf("%q: want nothing enabled, got %+v", raw, p)
		}
	}
}

func TestObjectNamesAreDNSSafe(t *testing.T) {
	raw := `{"My_Pod Kill!!":{"enabled":true,"fault":"pod-kill","target":"checkout"}}`
	p, err := Build([]byte(raw), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	wantEq(t, "name", p.Objects[0].Name, "my-pod-kill")
	wantEq(t, "summary name keeps the key", p.Enabled[0].Name, "My_Pod Kill!!")
	long := `{"` + strings.Repeat("a", 80) + `":{"enabled":true,"fault":"pod-kill","target":"checkout"}}`
	p, err = Build([]byte(long), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objects[0].Name) > 48 {
		t.Errorf("name %q longer than 48", p.Objects[0].Name)
	}
}

func TestObjectsSortedAndDeterministic(t *testing.T) {
	raw := []byte(`{"zeta":{"enabled":true,"fault":"pod-kill","target":"cart"},"alpha":{"enabled":true,"fault":"pod-kill","target":"cart"},"checkout-pod-kill":{"enabled":true}}`)
	a, err := Build(raw, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range a.Objects {
		names = append(names, o.Name)
	}
	wantEq(t, "order", strings.Join(names, ","), "alpha,checkout-pod-kill,checkout-pod-kill-first,zeta")
	for i := 0; i < 5; i++ {
		b, _ := Build(raw, testOpts())
		if renderAll(t, a) != renderAll(t, b) {
			t.Fatal("Build is not deterministic")
		}
	}
}

// defaultTestDuration is the duration TestFaultKinds gives a fault: 90s, or the kills' default 30s.
func defaultTestDuration(fault string) string {
	if fault == "pod-kill" || fault == "container-kill" {
		return "30s"
	}
	return "90s"
}
