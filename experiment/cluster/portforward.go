package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// portForwardTimeout bounds the wait for a port-forward to listen, and for Prometheus to answer.
const portForwardTimeout = 30 * time.Second

// Prometheus returns a Prometheus base URL that answers: url as given, or a local port forwarded (over SPDY,
// through the API server) to a ready pod behind the lab's Prometheus Service. close ends the forward.
func (c *Cluster) Prometheus(ctx context.Context, url string) (string, func(), error) {
	if url != "" {
		if err := ping(ctx, url); err != nil {
			return "", nil, fmt.Errorf("%s does not answer: %w", url, err)
		}
		return url, func() {}, nil
	}
	base, pod, stop, err := c.forwardTo(ctx, c.lab.Prometheus)
	if err != nil {
		return "", nil, err
	}
	if err := ping(ctx, base); err != nil {
		stop()
		return "", nil, fmt.Errorf("Prometheus in pod %s/%s does not answer through the port-forward: %w", c.lab.Prometheus.Namespace, pod, err)
	}
	return base, stop, nil
}

// forwardTo opens a port-forward to a ready pod behind the Service's port: the local base URL, the pod's
// name, and the function that closes it.
func (c *Cluster) forwardTo(ctx context.Context, svc Service) (base, pod string, stop func(), err error) {
	p, port, err := c.backend(ctx, svc)
	if err != nil {
		return "", "", nil, err
	}
	base, stop, err = c.forward(ctx, p, port)
	if err != nil {
		return "", "", nil, fmt.Errorf("port-forward to pod %s/%s:%d (Service %s/%s): %w", svc.Namespace, p.Name, port, svc.Namespace, svc.Name, err)
	}
	return base, p.Name, stop, nil
}

// Collector gives the address (host:port) of an OTLP/gRPC receiver for the experiment's trace: endpoint
// when given, else the lab's collector through a port-forward that close ends.
func (c *Cluster) Collector(ctx context.Context, endpoint string) (string, func(), error) {
	if endpoint != "" {
		return endpoint, func() {}, nil
	}
	if c.lab.Collector.Name == "" {
		return "", nil, fmt.Errorf("no collector known for this lab")
	}
	base, _, stop, err := c.forwardTo(ctx, c.lab.Collector)
	if err != nil {
		return "", nil, err
	}
	return strings.TrimPrefix(base, "http://"), stop, nil
}

// ping asks Prometheus a trivial query, as the report does before it starts.
func ping(ctx context.Context, base string) error {
	client, err := api.NewClient(api.Config{Address: base, Client: &http.Client{Timeout: portForwardTimeout}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, portForwardTimeout)
	defer cancel()
	a := &report.Analyzer{API: v1.NewAPI(client), QueryTimeout: portForwardTimeout}
	return a.Ping(ctx)
}

// backend finds a ready pod behind the Service and the pod's port for the Service's port.
func (c *Cluster) backend(ctx context.Context, svc Service) (*corev1.Pod, int32, error) {
	s, err := c.client.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	var sp *corev1.ServicePort
	for i := range s.Spec.Ports {
		if s.Spec.Ports[i].Port == svc.Port || len(s.Spec.Ports) == 1 {
			sp = &s.Spec.Ports[i]
			break
		}
	}
	if sp == nil || len(s.Spec.Selector) == 0 {
		return nil, 0, fmt.Errorf("Service %s/%s has no port %d or no selector", svc.Namespace, svc.Name, svc.Port)
	}
	pods, err := c.client.CoreV1().Pods(svc.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(s.Spec.Selector).String()})
	if err != nil {
		return nil, 0, err
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Status.Phase != corev1.PodRunning || !podReady(pod) || pod.DeletionTimestamp != nil {
			continue
		}
		port, err := targetPort(pod, sp)
		if err != nil {
			return nil, 0, err
		}
		return pod, port, nil
	}
	return nil, 0, fmt.Errorf("no Running and Ready pod behind Service %s/%s (%d pod(s) match its selector)", svc.Namespace, svc.Name, len(pods.Items))
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// targetPort resolves a Service port's targetPort (a number, or a container port's name) in the pod.
func targetPort(pod *corev1.Pod, sp *corev1.ServicePort) (int32, error) {
	switch {
	case sp.TargetPort.StrVal != "":
		for _, c := range pod.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name == sp.TargetPort.StrVal {
					return p.ContainerPort, nil
				}
			}
		}
		return 0, fmt.Errorf("pod %s has no container port named %q", pod.Name, sp.TargetPort.StrVal)
	case sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal, nil
	default:
		return sp.Port, nil
	}
}

// forward opens a local port on 127.0.0.1 forwarded to the pod's port, and returns its base URL.
func (c *Cluster) forward(ctx context.Context, pod *corev1.Pod, port int32) (string, func(), error) {
	transport, upgrader, err := spdy.RoundTripperFor(c.config)
	if err != nil {
		return "", nil, err
	}
	server, _, err := rest.DefaultServerUrlFor(c.config)
	if err != nil {
		return "", nil, err
	}
	server.Path = path.Join(server.Path, "api", "v1", "namespaces", pod.Namespace, "pods", pod.Name, "portforward")
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, server)

	// The forward lives until stop, not until ctx: the caller closes it when done with Prometheus.
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ready := make(chan struct{})
	var errOut strings.Builder
	fw, err := portforward.NewOnAddressesWithContext(fctx, dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(int(port))}, ready, io.Discard, &syncWriter{w: &errOut})
	if err != nil {
		cancel()
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	stop := sync.OnceFunc(func() {
		cancel()
		<-done
	})
	select {
	case <-ready:
	case err := <-done:
		cancel()
		return "", nil, errors.Join(err, errors.New(strings.TrimSpace(errOut.String())))
	case <-time.After(portForwardTimeout):
		stop()
		return "", nil, fmt.Errorf("not listening after %s", portForwardTimeout)
	case <-ctx.Done():
		stop()
		return "", nil, ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		stop()
		return "", nil, fmt.Errorf("no local port: %v", err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", ports[0].Local), stop, nil
}

// syncWriter serializes writes from the port-forward's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
