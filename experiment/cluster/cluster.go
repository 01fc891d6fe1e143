// Package cluster is the cluster side of `chaoslab run` (experiment.Cluster) on client-go: readiness of the
// lab's workloads, the Chaos Mesh objects of the shop namespace, a watch on them and on their events, and a
// port-forward to the lab's Prometheus.
package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// Lab names the parts of the lab that a run reads; the caller passes the lab's own facts.
type Lab struct {
	ShopNamespace string   // where the chaos objects live
	Namespaces    []string // whose workloads must be ready before a run
	Prometheus    Service  // the Prometheus that the report queries
	Collector     Service  // the OTLP/gRPC receiver that the experiment's trace goes to
}

// Service is a Kubernetes Service and one of its ports.
type Service struct {
	Namespace, Name string
	Port            int32
}

// Cluster implements experiment.Cluster.
type Cluster struct {
	lab     Lab
	config  *rest.Config
	client  kubernetes.Interface
	dynamic dynamic.Interface
	now     func() time.Time
}

var _ experiment.Cluster = (*Cluster)(nil)

// Connect returns a connector for experiment.Wiring: it opens the cluster that the plan's kubeconfig (a path,
// or the file's contents, as the stack's chaos-mesh-otel:kubeconfig allows; empty: $KUBECONFIG or
// ~/.kube/config) and context (empty: the current one) point at, and reads the namespaces that the plan's
// config deploys (they follow chaos-mesh-otel:app and :istio) and the lab's Prometheus.
func Connect(prometheus, collector Service) func(plan *experiment.Plan) (experiment.Cluster, error) {
	return func(plan *experiment.Plan) (experiment.Cluster, error) {
		cfg, err := restConfig(plan.Kubeconfig, plan.Context)
		if err != nil {
			return nil, err
		}
		return New(cfg, Lab{ShopNamespace: plan.ShopNamespace, Namespaces: plan.Namespaces, Prometheus: prometheus, Collector: collector})
	}
}

func restConfig(kubeconfig, kubeContext string) (*rest.Config, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	if strings.Contains(kubeconfig, "\n") || strings.HasPrefix(strings.TrimSpace(kubeconfig), "apiVersion") {
		raw, err := clientcmd.Load([]byte(kubeconfig))
		if err != nil {
			return nil, fmt.Errorf("kubeconfig (contents): %w", err)
		}
		return clientcmd.NewNonInteractiveClientConfig(*raw, kubeContext, overrides, nil).ClientConfig()
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
}

// New connects with a rest config.
func New(cfg *rest.Config, lab Lab) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return NewWithClients(cfg, client, dyn, lab), nil
}

// NewWithClients uses the given clients (tests pass fakes); cfg is only needed for the port-forward.
func NewWithClients(cfg *rest.Config, client kubernetes.Interface, dyn dynamic.Interface, lab Lab) *Cluster {
	return &Cluster{lab: lab, config: cfg, client: client, dynamic: dyn, now: time.Now}
}

// chaosGroupVersion is where Chaos Mesh serves its kinds.
var chaosGroupVersion = report.ChaosGroupVersion

// chaosKinds maps each Chaos Mesh resource that a run follows to its kind: the Schedules and Workflows the
// lab declares, what they spawn (workflow nodes, steady-state checks) and every chaos kind.
var chaosKinds = func() map[string]string {
	m := map[string]string{"schedules": "Schedule", "workflows": "Workflow", "workflownodes": "WorkflowNode", "statuschecks": "StatusCheck"}
	for _, res := range report.ChaosResources {
		m[res] = chaosKindOf(res)
	}
	return m
}()

// chaosKindOf turns a chaos resource (podchaos) into its kind (PodChaos).
func chaosKindOf(resource string) string {
	special := map[string]string{"iochaos": "IOChaos", "dnschaos": "DNSChaos", "httpchaos": "HTTPChaos", "jvmchaos": "JVMChaos"}
	if k, ok := special[resource]; ok {
		return k
	}
	base := strings.TrimSuffix(resource, "chaos")
	return strings.ToUpper(base[:1]) + base[1:] + "Chaos"
}

// servedChaosResources lists the chaos resources that the API server serves (the CRDs installed).
func (c *Cluster) servedChaosResources() ([]string, error) {
	list, err := c.client.Discovery().ServerResourcesForGroupVersion(chaosGroupVersion.String())
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("Chaos Mesh's CRDs (%s) are not installed: is the lab up?", chaosGroupVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("discovering %s: %w", chaosGroupVersion, err)
	}
	var out []string
	for _, r := range list.APIResources {
		if _, ok := chaosKinds[r.Name]; ok && !strings.Contains(r.Name, "/") {
			out = append(out, r.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func gvr(resource string) schema.GroupVersionResource {
	return chaosGroupVersion.WithResource(resource)
}

// ChaosObjects lists every Chaos Mesh object in the shop namespace as Kind/namespace/name.
func (c *Cluster) ChaosObjects(ctx context.Context) ([]string, error) {
	resources, err := c.servedChaosResources()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, res := range resources {
		list, err := c.dynamic.Resource(gvr(res)).Namespace(c.lab.ShopNamespace).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s in %s: %w", res, c.lab.ShopNamespace, err)
		}
		for _, item := range list.Items {
			out = append(out, chaosKinds[res]+"/"+item.GetNamespace()+"/"+item.GetName())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Unready lists the Deployments, StatefulSets and DaemonSets of the lab's namespaces that are not fully
// available, and a namespace with no workload at all.
func (c *Cluster) Unready(ctx context.Context) (problems []string, checked int, err error) {
	for _, ns := range c.lab.Namespaces {
		before := checked
		deps, err := c.client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, 0, err
		}
		for _, d := range deps.Items {
			checked++
			want := replicas(d.Spec.Replicas)
			if d.Status.AvailableReplicas < want || d.Status.UpdatedReplicas < want || d.Status.ObservedGeneration < d.Generation {
				problems = append(problems, fmt.Sprintf("Deployment %s/%s: %d of %d available", ns, d.Name, d.Status.AvailableReplicas, want))
			}
		}
		sts, err := c.client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, 0, err
		}
		for _, s := range sts.Items {
			checked++
			if want := replicas(s.Spec.Replicas); s.Status.ReadyReplicas < want {
				problems = append(problems, fmt.Sprintf("StatefulSet %s/%s: %d of %d ready", ns, s.Name, s.Status.ReadyReplicas, want))
			}
		}
		dss, err := c.client.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, 0, err
		}
		for _, d := range dss.Items {
			checked++
			if d.Status.NumberAvailable < d.Status.DesiredNumberScheduled || d.Status.DesiredNumberScheduled == 0 {
				problems = append(problems, fmt.Sprintf("DaemonSet %s/%s: %d of %d available", ns, d.Name, d.Status.NumberAvailable, d.Status.DesiredNumberScheduled))
			}
		}
		if checked == before {
			problems = append(problems, fmt.Sprintf("namespace %s: no workload at all", ns))
		}
	}
	return problems, checked, nil
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// DeleteUntracked deletes the named Schedules and Workflows ("Kind/name") of the app's namespace that exist
// and are not already being deleted (in the background, as the lab deletes its Workflows, so that Chaos Mesh
// does not restart one), and returns those it deleted.
func (c *Cluster) DeleteUntracked(ctx context.Context, objects []string) ([]string, error) {
	resources := map[string]string{"Schedule": "schedules", "Workflow": "workflows"}
	var deleted []string
	for _, obj := range objects {
		kind, name, _ := strings.Cut(obj, "/")
		res, ok := resources[kind]
		if !ok {
			continue
		}
		client := c.dynamic.Resource(gvr(res)).Namespace(c.lab.ShopNamespace)
		u, err := client.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return deleted, err
		}
		if u.GetDeletionTimestamp() != nil {
			continue
		}
		background := metav1.DeletePropagationBackground
		if err := client.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &background}); err != nil && !apierrors.IsNotFound(err) {
			return deleted, fmt.Errorf("deleting %s %s/%s: %w", kind, c.lab.ShopNamespace, name, err)
		}
		deleted = append(deleted, obj)
	}
	return deleted, nil
}
