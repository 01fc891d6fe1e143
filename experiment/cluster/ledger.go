package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
)

// The run record lives in a ConfigMap of the app's namespace, one per stack, so that every checkout that
// reaches the cluster sees it: `chaoslab-run-<stack>`, its JSON under recordKey.
const (
	recordPrefix = "chaoslab-run-"
	recordKey    = "record.json"
	// RecordLabel marks the ConfigMaps that hold run records.
	RecordLabel = "chaos-mesh-otel.io/run-record"
)

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// recordName is the ConfigMap name of a stack's run record: the stack's name (org/project/stack) as a
// DNS-1123 name.
func recordName(stack string) string {
	name := strings.Trim(notDNS.ReplaceAllString(strings.ToLower(stack), "-"), "-")
	if len(recordPrefix+name) > 253 {
		name = name[:253-len(recordPrefix)]
	}
	return recordPrefix + name
}

func (c *Cluster) recordMap(rec experiment.ClusterRecord, resourceVersion string) (*corev1.ConfigMap, error) {
	raw, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: recordName(rec.Stack), Namespace: c.lab.ShopNamespace, ResourceVersion: resourceVersion,
			Labels: map[string]string{RecordLabel: "true", apps.PartOfLabel: apps.PartOfValue}},
		Data: map[string]string{recordKey: string(raw)},
	}, nil
}

func decodeRecord(cm *corev1.ConfigMap) (*experiment.ClusterRecord, error) {
	var rec experiment.ClusterRecord
	if err := json.Unmarshal([]byte(cm.Data[recordKey]), &rec); err != nil {
		return nil, fmt.Errorf("the run record %s/%s is not readable: %w", cm.Namespace, cm.Name, err)
	}
	return &rec, nil
}

// ClaimRun creates the run's record; when the stack already has one, it returns that one unchanged. The
// create is atomic on the API server, so two runs from two checkouts cannot both claim the stack.
func (c *Cluster) ClaimRun(ctx context.Context, rec experiment.ClusterRecord) (*experiment.ClusterRecord, error) {
	cm, err := c.recordMap(rec, "")
	if err != nil {
		return nil, err
	}
	_, err = c.client.CoreV1().ConfigMaps(c.lab.ShopNamespace).Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return c.ReadRun(ctx, rec.Stack)
	}
	return nil, err
}

// UpdateRun rewrites the run's record.
func (c *Cluster) UpdateRun(ctx context.Context, rec experiment.ClusterRecord) error {
	current, err := c.client.CoreV1().ConfigMaps(c.lab.ShopNamespace).Get(ctx, recordName(rec.Stack), metav1.GetOptions{})
	if err != nil {
		return err
	}
	cm, err := c.recordMap(rec, current.ResourceVersion)
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().ConfigMaps(c.lab.ShopNamespace).Update(ctx, cm, metav1.UpdateOptions{})
	return err
}

// ReadRun returns the stack's run record, nil when there is none.
func (c *Cluster) ReadRun(ctx context.Context, stack string) (*experiment.ClusterRecord, error) {
	cm, err := c.client.CoreV1().ConfigMaps(c.lab.ShopNamespace).Get(ctx, recordName(stack), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(cm)
}

// ReleaseRun deletes the stack's run record.
func (c *Cluster) ReleaseRun(ctx context.Context, stack string) error {
	err := c.client.CoreV1().ConfigMaps(c.lab.ShopNamespace).Delete(ctx, recordName(stack), metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
