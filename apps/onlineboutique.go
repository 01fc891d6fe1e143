package apps

// OnlineBoutique is Google's microservices demo "Online Boutique" (chart onlineboutique 0.10.6). Every
// Deployment, Service and pod label is named after the service, and every pod is selected by the single
// label app=<name>. Each main container is called server (redis-cart's is redis, the load generator's main),
// with a read-only root filesystem: only redis-cart mounts a writable volume. The call graph is the
// *_SERVICE_ADDR environment that the chart gives each service. The catalog's facts are checked against the
// chart's rendered objects (onlineboutique_test.go).
var OnlineBoutique = App{
	Name:          "online-boutique",
	Title:         "the Online Boutique",
	Namespace:     "online-boutique",
	SelectorLabel: "app",
	Entry:         "frontend",
	EntryPort:     80,
	// adservice (Java), cartservice (.NET) and shippingservice (Go) export no traces in 0.10.6, so they have
	// no server spans to measure: the defaults are the entry and the busiest hops that trace.
	SLOServices:  []string{"frontend", "checkoutservice", "productcatalogservice"},
	ReadOnlyRoot: true,
	Services: []Service{
		{Name: "adservice", Ports: []Port{grpcPort(9555, 9555)}, Container: "server"},
		{Name: "cartservice", Ports: []Port{grpcPort(7070, 7070)}, Container: "server", Calls: calls("redis-cart")},
		{Name: "checkoutservice", Ports: []Port{grpcPort(5050, 5050)}, Container: "server",
			Calls: calls("cartservice", "currencyservice", "emailservice", "paymentservice", "productcatalogservice", "shippingservice")},
		{Name: "currencyservice", Ports: []Port{grpcPort(7000, 7000)}, Container: "server"},
		{Name: "emailservice", Ports: []Port{grpcPort(5000, 8080)}, Container: "server"},
		{Name: "frontend", Ports: []Port{{Name: "http", Number: 8080, Protocol: HTTP, ServicePort: 80}}, Container: "server",
			Calls: calls("adservice", "cartservice", "checkoutservice", "currencyservice", "productcatalogservice", "recommendationservice", "shippingservice")},
		{Name: "loadgenerator", Container: "main", Calls: calls("frontend")},
		{Name: "paymentservice", Ports: []Port{grpcPort(50051, 50051)}, Container: "server"},
		{Name: "productcatalogservice", Ports: []Port{grpcPort(3550, 3550)}, Container: "server"},
		{Name: "recommendationservice", Ports: []Port{grpcPort(8080, 8080)}, Container: "server", Calls: calls("productcatalogservice")},
		{Name: "redis-cart", Ports: []Port{{Name: "tcp-redis", Number: 6379, Protocol: TCP}}, Container: "redis", Stateful: true, Volume: "/data"},
		{Name: "shippingservice", Ports: []Port{grpcPort(50051, 50051)}, Container: "server"},
		// The frontend is given its address (SHOPPING_ASSISTANT_SERVICE_ADDR=shoppingassistantservice:80) and
		// calls it only on /assistant, but chart 0.10.6 has no template for it.
		{Name: "shoppingassistantservice", Container: "server",
			Dropped: "the chart 0.10.6 has no template for it (it needs Google's Gemini API and AlloyDB); the frontend calls it only on /assistant"},
	},
	// Presets are written in the Astronomy Shop's names. The Boutique's frontend is both the shop's
	// frontend-proxy (the entry) and its frontend (the web server that calls the backends).
	FromShop: map[string]string{
		"ad":              "adservice",
		"cart":            "cartservice",
		"checkout":        "checkoutservice",
		"currency":        "currencyservice",
		"email":           "emailservice",
		"frontend":        "frontend",
		"frontend-proxy":  "frontend",
		"load-generator":  "loadgenerator",
		"payment":         "paymentservice",
		"product-catalog": "productcatalogservice",
		"recommendation":  "recommendationservice",
		"shipping":        "shippingservice",
		"valkey-cart":     "redis-cart",
	},
}

// grpcPort is a Boutique gRPC port: the Service's port named grpc in front of the container's.
func grpcPort(service, container int32) Port {
	p := Port{Name: "grpc", Number: container, Protocol: GRPC}
	if service != container {
		p.ServicePort = service
	}
	return p
}
