package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// OnlineBoutiqueType is the Pulumi type token of the component.
const OnlineBoutiqueType = "chaos-mesh-otel:app:OnlineBoutique"

// OnlineBoutiqueRelease is the Helm release. The chart names every object after its service, not the release.
const OnlineBoutiqueRelease = "online-boutique"

// OnlineBoutiqueArgs configures the Online Boutique.
type OnlineBoutiqueArgs struct {
	Charts    ChartSource
	Namespace pulumi.StringInput
	// CollectorHost is the collector's in-cluster host name that every tracing service exports OTLP to.
	CollectorHost string
	// Istio says whether the namespace gets Istio sidecars; see newAppRelease for why it matters here.
	Istio bool
}

// OnlineBoutique is Google's microservices demo with its load generator, sending traces to the lab's
// collector instead of its own.
type OnlineBoutique struct {
	pulumi.ResourceState
	Parts

	// ShopURL is the in-cluster URL of the app's entry service.
	ShopURL pulumi.StringOutput `pulumi:"shopURL"`
	// ReleaseStatus is the Helm release's status.
	ReleaseStatus pulumi.StringOutput `pulumi:"releaseStatus"`
}

// boutiqueBudgets are the budgets of the Boutique's services, keyed by their names in apps.OnlineBoutique.
// The chart's memory limits are kept (upstream raised cart, currency and payment to 256 Mi after OOM kills,
// and recommendation to 450 Mi), now also as requests; CPU requests are small, as everywhere in the lab. The
// load generator runs locust headless with 10 fixed users and gets half the chart's 512 Mi.
var boutiqueBudgets = map[string]Budget{
	"adservice":             {MemoryMi: 300, CPUMilli: 10, CPULimitMilli: 300},
	"cartservice":           {MemoryMi: 256, CPUMilli: 10, CPULimitMilli: 300},
	"checkoutservice":       {MemoryMi: 128, CPUMilli: 10, CPULimitMilli: 200},
	"currencyservice":       {MemoryMi: 256, CPUMilli: 10, CPULimitMilli: 200},
	"emailservice":          {MemoryMi: 128, CPUMilli: 10, CPULimitMilli: 200},
	"frontend":              {MemoryMi: 128, CPUMilli: 20, CPULimitMilli: 200},
	"loadgenerator":         {MemoryMi: 256, CPUMilli: 20, CPULimitMilli: 500},
	"paymentservice":        {MemoryMi: 256, CPUMilli: 10, CPULimitMilli: 200},
	"productcatalogservice": {MemoryMi: 128, CPUMilli: 10, CPULimitMilli: 200},
	"recommendationservice": {MemoryMi: 450, CPUMilli: 10, CPULimitMilli: 200},
	"shippingservice":       {MemoryMi: 128, CPUMilli: 10, CPULimitMilli: 200},
	// The chart hard-codes redis-cart's resources (limit 256 Mi / 125m, request 200 Mi / 70m), with no value
	// to change them; the footprint counts its limit.
	"redis-cart": {MemoryMi: 256, CPUMilli: 70, CPULimitMilli: 125},
}

// boutiqueValueKeys maps each service of apps.OnlineBoutique to its block in the chart's values. redis-cart
// has none: its resources are fixed by the chart.
var boutiqueValueKeys = map[string]string{
	"adservice":             "adService",
	"cartservice":           "cartService",
	"checkoutservice":       "checkoutService",
	"currencyservice":       "currencyService",
	"emailservice":          "emailService",
	"frontend":              "frontend",
	"loadgenerator":         "loadGenerator",
	"paymentservice":        "paymentService",
	"productcatalogservice": "productCatalogService",
	"recommendationservice": "recommendationService",
	"shippingservice":       "shippingService",
}

// OnlineBoutiqueValues are the chart values.
func OnlineBoutiqueValues(args *OnlineBoutiqueArgs) map[string]any {
	values := map[string]any{
		// With the chart's collector template removed (CollectorlessArchive), this only gives the tracing
		// services COLLECTOR_SERVICE_ADDR=<name>:4317 and OTEL_SERVICE_NAME=<service>.
		"opentelemetryCollector": map[string]any{"create": true, "name": args.CollectorHost},
		// ENABLE_TRACING=1; the profiler needs Google Cloud, and metrics is read by no template.
		"googleCloudOperations": map[string]any{"tracing": true, "profiler": false, "metrics": false},
	}
	for service, key := range boutiqueValueKeys {
		values[key] = map[string]any{"resources": boutiqueBudgets[service].Resources()}
	}
	frontend := values["frontend"].(map[string]any)
	// The default adds a LoadBalancer Service "frontend-external": the lab port-forwards instead, and a
	// cluster without a load-balancer controller would never see it ready.
	frontend["externalService"] = false
	// Its only check waits for the frontend from an init container; behind a sidecar that is not yet running
	// (Istio without native sidecars) it could never reach it. The load generator retries anyway.
	values["loadGenerator"].(map[string]any)["checkFrontendInitContainer"] = !args.Istio
	return values
}

// NewOnlineBoutique declares the Online Boutique.
func NewOnlineBoutique(ctx *pulumi.Context, name string, args *OnlineBoutiqueArgs, opts ...pulumi.ResourceOption) (*OnlineBoutique, error) {
	b := &OnlineBoutique{}
	if err := ctx.RegisterComponentResource(OnlineBoutiqueType, name, b, opts...); err != nil {
		return nil, err
	}
	release, err := newAppRelease(ctx, releaseSpec{
		name: name, releaseName: OnlineBoutiqueRelease, src: args.Charts, chart: OnlineBoutiqueChart,
		edit: CollectorlessArchive, namespace: args.Namespace, values: OnlineBoutiqueValues(args),
	}, args.Istio, childOf(b, opts))
	if err != nil {
		return nil, err
	}
	b.own(release)
	app := apps.OnlineBoutique
	b.ShopURL = pulumi.Sprintf("http://%s.%s.svc:%d", app.Entry, release.Namespace.Elem(), app.EntryPort)
	b.ReleaseStatus = release.Status.Status()
	return b, ctx.RegisterResourceOutputs(b, pulumi.Map{"shopURL": b.ShopURL, "releaseStatus": b.ReleaseStatus})
}
