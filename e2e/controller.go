//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// The chart's controller Deployment and its container, whose settings the controller process takes.
const (
	ChaosControllerDeployment = "chaos-controller-manager"
	chaosControllerContainer  = "chaos-mesh"
	ChaosControllerBinary     = "chaos-controller-manager"
)

// ChaosController is Chaos Mesh's controller manager (built by e2e/tools/build.sh) running out of cluster
// against the simulated API server. It stands in for the pod of the chart's controller Deployment, which on a
// kwok node is only a record: it takes that Deployment's environment (so CLUSTER_SCOPED, TARGET_NAMESPACE,
// ENABLE_FILTER_NAMESPACE and SECURITY_MODE are exactly what the lab's chart values made them) and the
// Secrets it mounts (chaos-daemon and chaosd client certificates). What differs, because it runs on this
// machine and not in a pod, is listed in OutOfClusterEnv.
type ChaosController struct {
	*Process
	MetricsAddr string // 127.0.0.1:<port>, /metrics
	WebhookAddr string // 127.0.0.1:<port>, the admission webhooks (TLS)
	Cert        *ServingCert
	// Env is the environment the process runs with, sorted (KEY=value).
	Env []string
}

// StartChaosController starts the controller for the lab that is up on c and waits until its metrics and
// webhook servers listen. It is stopped at the test's cleanup (or on an interrupt of the test binary).
func StartChaosController(ctx context.Context, tb testing.TB, c *Cluster) *ChaosController {
	tb.Helper()
	dir := filepath.Join(c.Dir, "chaos-controller")
	env, err := deploymentEnv(ctx, c, components.ChaosNamespace, ChaosControllerDeployment, chaosControllerContainer, dir)
	if err != nil {
		tb.Fatalf("the chart's controller Deployment: %v", err)
	}
	cert, err := NewLoopbackServingCert(filepath.Join(dir, "webhook-certs"))
	if err != nil {
		tb.Fatal(err)
	}
	cc := &ChaosController{MetricsAddr: freeLoopbackAddr(tb), WebhookAddr: freeLoopbackAddr(tb), Cert: cert}
	for k, v := range OutOfClusterEnv(cc.MetricsAddr, cc.WebhookAddr, cert.Dir) {
		env[k] = v
	}
	env["HOME"] = dir
	env["PATH"] = "/usr/bin:/bin"
	for k, v := range env {
		cc.Env = append(cc.Env, k+"="+v)
	}
	sort.Strings(cc.Env)

	cmd := exec.Command(filepath.Join(c.Bin, ChaosControllerBinary), "--kubeconfig", c.Kubeconfig)
	cmd.Env = cc.Env
	cmd.Dir = dir
	cc.Process = StartProcess(tb, c.Dir, ChaosControllerBinary, cmd, cc.stop)
	for _, addr := range []string{cc.MetricsAddr, cc.WebhookAddr} {
		if err := cc.WaitListening(addr, 2*time.Minute); err != nil {
			tb.Fatal(err)
		}
	}
	return cc
}

// EnvValue is the value of one variable of the process's environment.
func (cc *ChaosController) EnvValue(key string) string {
	for _, kv := range cc.Env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// OutOfClusterEnv is what the process sets differently from the chart's Deployment: its servers listen on
// loopback ports (the pod's 10250 and 10080 would collide with anything else on this machine), its webhook
// certificate is one for 127.0.0.1 (see NewLoopbackServingCert), and leader election is off (one process,
// and the kwok pod of the Deployment competes for nothing). PPROF_ADDR "0" keeps pprof off, as the chart
// does unless enableProfiling.
func OutOfClusterEnv(metricsAddr, webhookAddr, certsDir string) map[string]string {
	mHost, mPort, _ := strings.Cut(metricsAddr, ":")
	wHost, wPort, _ := strings.Cut(webhookAddr, ":")
	return map[string]string{
		"METRICS_HOST":           mHost,
		"METRICS_PORT":           mPort,
		"WEBHOOK_HOST":           wHost,
		"WEBHOOK_PORT":           wPort,
		"CERTS_DIR":              certsDir,
		"ENABLE_LEADER_ELECTION": "false",
		"PPROF_ADDR":             "0",
	}
}

// stop ends the controller as its main expects: the first SIGTERM stops the manager (its servers close), a
// second one ends the process.
func (cc *ChaosController) stop(p *Process) error {
	if !p.Running() {
		return fmt.Errorf("%s had already exited", p.Name)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(30 * time.Second)
	for p.Running() && time.Now().Before(deadline) && cc.WaitListening(cc.MetricsAddr, 0) == nil {
		time.Sleep(100 * time.Millisecond)
	}
	return p.Signal(syscall.SIGTERM, 15*time.Second)
}

// deploymentEnv resolves the environment of a Deployment's container as its pod would see it. Values from
// the downward API (metadata.namespace) and from Secrets and ConfigMaps are read; Secret volumes that the
// container mounts are written under dir, and values that name a file under their mount path are rewritten
// to the written copy.
func deploymentEnv(ctx context.Context, c *Cluster, ns, name, container, dir string) (map[string]string, error) {
	dep, err := c.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	spec := dep.Spec.Template.Spec
	var ctr *corev1.Container
	for i := range spec.Containers {
		if spec.Containers[i].Name == container {
			ctr = &spec.Containers[i]
		}
	}
	if ctr == nil {
		return nil, fmt.Errorf("deployment %s/%s has no container %q", ns, name, container)
	}
	mounts, err := writeSecretMounts(ctx, c, ns, spec.Volumes, ctr.VolumeMounts, dir)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, e := range ctr.Env {
		v, err := envValue(ctx, c, ns, e)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		for mountPath, local := range mounts {
			if rest, ok := strings.CutPrefix(v, mountPath+"/"); ok {
				v = filepath.Join(local, rest)
			}
		}
		env[e.Name] = v
	}
	return env, nil
}

func envValue(ctx context.Context, c *Cluster, ns string, e corev1.EnvVar) (string, error) {
	src := e.ValueFrom
	switch {
	case src == nil:
		return e.Value, nil
	case src.FieldRef != nil && src.FieldRef.FieldPath == "metadata.namespace":
		return ns, nil
	case src.SecretKeyRef != nil:
		s, err := c.Client.CoreV1().Secrets(ns).Get(ctx, src.SecretKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return string(s.Data[src.SecretKeyRef.Key]), nil
	case src.ConfigMapKeyRef != nil:
		cm, err := c.Client.CoreV1().ConfigMaps(ns).Get(ctx, src.ConfigMapKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return cm.Data[src.ConfigMapKeyRef.Key], nil
	}
	return "", fmt.Errorf("unsupported valueFrom %+v", src)
}

// writeSecretMounts writes each Secret volume the container mounts to dir/<volume> and returns mount path ->
// local dir. Any other kind of volume is refused: the process could not see what the pod would.
func writeSecretMounts(ctx context.Context, c *Cluster, ns string, volumes []corev1.Volume, mounts []corev1.VolumeMount, dir string) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range mounts {
		var vol *corev1.Volume
		for i := range volumes {
			if volumes[i].Name == m.Name {
				vol = &volumes[i]
			}
		}
		if vol == nil || vol.Secret == nil {
			return nil, fmt.Errorf("volume %q mounted at %s is not a Secret; the out-of-cluster controller cannot reproduce it", m.Name, m.MountPath)
		}
		s, err := c.Client.CoreV1().Secrets(ns).Get(ctx, vol.Secret.SecretName, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("secret of volume %q: %w", m.Name, err)
		}
		local := filepath.Join(dir, "volumes", m.Name)
		if err := os.MkdirAll(local, 0o700); err != nil {
			return nil, err
		}
		for k, v := range s.Data {
			if err := os.WriteFile(filepath.Join(local, k), v, 0o600); err != nil {
				return nil, err
			}
		}
		out[strings.TrimSuffix(m.MountPath, "/")] = local
	}
	return out, nil
}
