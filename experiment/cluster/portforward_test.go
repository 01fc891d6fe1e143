package cluster

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

// fakePrometheus answers the report's ping (an instant query) like Prometheus does.
func fakePrometheus(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/api/v1/query") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1"]}]}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// portForwardServer plays the API server's and kubelet's side of `kubectl port-forward` over SPDY: it
// upgrades POST .../pods/<name>/portforward, and pipes each data stream to backend.
type portForwardServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
	ports []string
}

func newPortForwardServer(t *testing.T, backend string) *portForwardServer {
	t.Helper()
	s := &portForwardServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/portforward") {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
		if _, err := httpstream.Handshake(r, w, []string{"portforward.k8s.io"}); err != nil {
			return
		}
		streams := make(chan httpstream.Stream, 8)
		conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st httpstream.Stream, _ <-chan struct{}) error {
			streams <- st
			return nil
		})
		if conn == nil {
			return
		}
		defer conn.Close()
		for {
			select {
			case st := <-streams:
				if st.Headers().Get("streamType") != "data" {
					continue // the error stream stays open and silent
				}
				s.mu.Lock()
				s.ports = append(s.ports, st.Headers().Get("port"))
				s.mu.Unlock()
				go pipe(st, backend)
			case <-conn.CloseChan():
				return
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func pipe(st httpstream.Stream, backend string) {
	defer st.Close()
	c, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer c.Close()
	go func() { _, _ = io.Copy(c, st) }()
	_, _ = io.Copy(st, c)
}

func prometheusPods() []*corev1.Pod {
	pod := func(name string, ready corev1.ConditionStatus) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "observability", Labels: map[string]string{"app": "prometheus"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "prometheus-server",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9090}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}},
		}
	}
	return []*corev1.Pod{pod("prometheus-a-not-ready", corev1.ConditionFalse), pod("prometheus-b", corev1.ConditionTrue)}
}

func TestPrometheusIsReachedThroughAPortForwardThatCloses(t *testing.T) {
	prom := fakePrometheus(t)
	pf := newPortForwardServer(t, strings.TrimPrefix(prom.URL, "http://"))
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "prometheus-server", Namespace: "observability"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "prometheus"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}
	pods := prometheusPods()
	c, _, _ := newFakeCluster(t, svc, pods[0], pods[1])
	c.config = &rest.Config{Host: pf.URL}

	base, stop, err := c.Prometheus(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base %q is not a local port", base)
	}
	pf.mu.Lock()
	paths, ports := append([]string{}, pf.paths...), append([]string{}, pf.ports...)
	pf.mu.Unlock()
	if len(paths) == 0 || paths[0] != "/api/v1/namespaces/observability/pods/prometheus-b/portforward" {
		t.Errorf("forwarded to %v, want the Ready pod prometheus-b", paths)
	}
	if len(ports) == 0 || ports[0] != "9090" {
		t.Errorf("remote ports %v, want the container port named by the Service's targetPort (9090)", ports)
	}
	stop()
	stop() // closing twice is harmless
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("the local port still listens after close")
	}
}

func TestPrometheusSaysWhyWhenNoPodIsReady(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "prometheus-server", Namespace: "observability"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "prometheus"}, Ports: []corev1.ServicePort{{Port: 80}}}}
	c, _, _ := newFakeCluster(t, svc, prometheusPods()[0])
	_, _, err := c.Prometheus(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "no Running and Ready pod behind Service observability/prometheus-server (1 pod(s) match its selector)") {
		t.Errorf("err = %v", err)
	}
}

func TestAGivenPrometheusURLIsCheckedAndNotForwarded(t *testing.T) {
	prom := fakePrometheus(t)
	c, _, _ := newFakeCluster(t)
	base, stop, err := c.Prometheus(context.Background(), prom.URL)
	if err != nil || base != prom.URL {
		t.Fatalf("%q, %v", base, err)
	}
	stop()
	if _, _, err := c.Prometheus(context.Background(), "http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("an unreachable --prometheus: %v", err)
	}
}
