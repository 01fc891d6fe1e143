package scenarios

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The Istio API that mesh faults are written in. A VirtualService is typed here, with the few fields a mesh
// fault needs, rather than imported from istio.io/client-go: that module would bring Istio's whole API for
// five structs. scenarios' tests check every VirtualService against the CRD of the Istio chart the lab
// installs (structural schema, pruning and CEL rules).
const (
	IstioAPIVersion    = "networking.istio.io/v1"
	KindVirtualService = "VirtualService"
	// HaltedAnnotation marks a VirtualService whose fault chaos-mesh-otel:halt took out of traffic.
	HaltedAnnotation = "chaos-mesh-otel.io/halted"
)

// VirtualService is an Istio networking.istio.io/v1 VirtualService.
type VirtualService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              VirtualServiceSpec `json:"spec"`
}

// VirtualServiceSpec routes the requests to its hosts: the first HTTP route that matches a request applies.
type VirtualServiceSpec struct {
	Hosts []string    `json:"hosts"`
	HTTP  []HTTPRoute `json:"http"`
}

// HTTPRoute is one route: the requests it matches (all when Match is empty), the fault injected into them,
// and where they go.
type HTTPRoute struct {
	Match []HTTPMatchRequest     `json:"match,omitempty"`
	Fault *HTTPFaultInjection    `json:"fault,omitempty"`
	Route []HTTPRouteDestination `json:"route"`
}

// HTTPMatchRequest matches requests by the client's pod labels and the destination port.
type HTTPMatchRequest struct {
	SourceLabels map[string]string `json:"sourceLabels,omitempty"`
	Port         uint32            `json:"port,omitempty"`
}

// HTTPFaultInjection is what the client's sidecar does to the requests of a route.
type HTTPFaultInjection struct {
	Delay *FaultDelay `json:"delay,omitempty"`
	Abort *FaultAbort `json:"abort,omitempty"`
}

// FaultDelay holds a share of the requests for a fixed time before forwarding them.
type FaultDelay struct {
	FixedDelay string   `json:"fixedDelay"`
	Percentage *Percent `json:"percentage,omitempty"`
}

// FaultAbort answers a share of the requests with an error instead of forwarding them: an HTTP status, or a
// gRPC status name for a gRPC service.
type FaultAbort struct {
	HTTPStatus int32    `json:"httpStatus,omitempty"`
	GRPCStatus string   `json:"grpcStatus,omitempty"`
	Percentage *Percent `json:"percentage,omitempty"`
}

// Percent is a share of requests, from 0 to 100.
type Percent struct {
	Value float64 `json:"value"`
}

// HTTPRouteDestination is where a route sends its requests.
type HTTPRouteDestination struct {
	Destination Destination `json:"destination"`
}

// Destination is a Service by its host name, and its port; without a port, the request's own port.
type Destination struct {
	Host string        `json:"host"`
	Port *PortSelector `json:"port,omitempty"`
}

// PortSelector names a port of a Service.
type PortSelector struct {
	Number uint32 `json:"number"`
}

// DeepCopyObject makes VirtualService a runtime.Object, and so a client.Object like the Chaos Mesh objects
// of a Plan. Its fields are plain data, so a JSON round trip copies them exactly.
func (v *VirtualService) DeepCopyObject() runtime.Object {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings, numbers and maps always marshal
	}
	out := &VirtualService{}
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}
