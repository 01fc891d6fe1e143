//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// chaosWebhookService is the Service that the chart's webhook configurations call.
const chaosWebhookService = "chaos-mesh-controller-manager"

// RoutedWebhook is one webhook of the chart's configurations, now served by the controller on loopback.
type RoutedWebhook struct {
	Configuration, Name, Path string
	Mutating                  bool
}

// RouteChaosMeshWebhooks points the chart's webhook configurations at the controller on loopback: each
// webhook's clientConfig changes from the Service chaos-mesh/chaos-mesh-controller-manager to
// https://<addr><same path>, trusted through caPEM. Names, rules, failure policy, timeouts and paths stay the
// chart's. A Service cannot do this routing here: Endpoints refuse loopback addresses, and a ClusterIP needs
// kube-proxy.
//
// It refuses a cluster that holds any other webhook: with admission webhooks on, the API server would call it,
// and nothing on this machine serves it (Istio's injector would refuse every pod, for example).
func RouteChaosMeshWebhooks(ctx context.Context, c *Cluster, addr string, caPEM []byte) ([]RoutedWebhook, error) {
	adm := c.Client.AdmissionregistrationV1()
	var routed []RoutedWebhook
	var foreign []string
	route := func(config string, mutating bool, cc *admissionv1.WebhookClientConfig, name string) {
		if cc.Service == nil || cc.Service.Namespace != components.ChaosNamespace || cc.Service.Name != chaosWebhookService || cc.Service.Path == nil {
			foreign = append(foreign, config+"/"+name)
			return
		}
		path := *cc.Service.Path
		*cc = admissionv1.WebhookClientConfig{URL: ptr("https://" + addr + path), CABundle: caPEM}
		routed = append(routed, RoutedWebhook{Configuration: config, Name: name, Path: path, Mutating: mutating})
	}
	mutating, err := adm.MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	validating, err := adm.ValidatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range mutating.Items {
		for j := range mutating.Items[i].Webhooks {
			route(mutating.Items[i].Name, true, &mutating.Items[i].Webhooks[j].ClientConfig, mutating.Items[i].Webhooks[j].Name)
		}
	}
	for i := range validating.Items {
		for j := range validating.Items[i].Webhooks {
			route(validating.Items[i].Name, false, &validating.Items[i].Webhooks[j].ClientConfig, validating.Items[i].Webhooks[j].Name)
		}
	}
	if len(foreign) > 0 {
		sort.Strings(foreign)
		return nil, fmt.Errorf("webhooks that nothing on this machine serves: %s", strings.Join(foreign, ", "))
	}
	if len(routed) == 0 {
		return nil, fmt.Errorf("no Chaos Mesh webhook configuration in the cluster")
	}
	for i := range mutating.Items {
		if _, err := adm.MutatingWebhookConfigurations().Update(ctx, &mutating.Items[i], metav1.UpdateOptions{}); err != nil {
			return nil, err
		}
	}
	for i := range validating.Items {
		if _, err := adm.ValidatingWebhookConfigurations().Update(ctx, &validating.Items[i], metav1.UpdateOptions{}); err != nil {
			return nil, err
		}
	}
	return routed, nil
}

// WaitAdmission polls a server-side dry-run create of obj until the API server admits it (the webhooks
// answer) or d passes; the last refusal is returned.
func WaitAdmission(ctx context.Context, c *Cluster, obj *unstructured.Unstructured, d time.Duration) error {
	gvr := chaosGVR(strings.ToLower(obj.GetKind()))
	var last error
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, d, true, func(ctx context.Context) (bool, error) {
		_, last = c.Dynamic.Resource(gvr).Namespace(obj.GetNamespace()).Create(ctx, obj.DeepCopy(),
			metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("not admitted after %s: %v", d, last)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
