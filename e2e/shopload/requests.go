package shopload

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Task is one task of the demo's k6 script, with its weight: each iteration of a virtual user runs one,
// chosen by weight (script.js, "Task weights: index(1) browse(10) recs(3) ads(3) cart(3) add(2) checkout(1)
// checkout_multi(1) flood(5) = 29").
type Task struct {
	Name   string
	Weight int
	build  func(b *builder, u *user) *Span
}

// Tasks are the script's tasks in its order.
var Tasks = []Task{
	{"index", 1, func(b *builder, u *user) *Span { return b.task(u, "user_index", b.index) }},
	{"browseProduct", 10, func(b *builder, u *user) *Span { return b.task(u, "user_browse_product", b.browseProduct) }},
	{"getRecommendations", 3, func(b *builder, u *user) *Span { return b.task(u, "user_get_recommendations", b.recommendations) }},
	{"getAds", 3, func(b *builder, u *user) *Span { return b.task(u, "user_get_ads", b.ads) }},
	{"viewCart", 3, func(b *builder, u *user) *Span { return b.task(u, "user_view_cart", b.viewCart) }},
	{"addToCart", 2, func(b *builder, u *user) *Span { return b.task(u, "user_add_to_cart", b.addToCart) }},
	{"checkout", 1, func(b *builder, u *user) *Span { return b.checkout(u, 1) }},
	{"checkoutMulti", 1, func(b *builder, u *user) *Span { return b.checkout(u, 2+b.rng.IntN(3)) }},
	// floodHome evaluates loadGeneratorFloodHomepage, whose default is 0: no request, only the flag's trace.
	{"floodHome", 5, func(b *builder, u *user) *Span { return b.flag("loadGeneratorFloodHomepage") }},
}

// products are the script's product ids.
var products = []string{"0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ", "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z", "HQTGWGPNH4"}

var categories = []string{"binoculars", "telescopes", "accessories", "assembly", "travel", "books", "None"}

// user is one virtual user's session.
type user struct {
	session string
	started bool
}

// Iteration is one iteration of one virtual user (script.js httpScenario): the loadGeneratorTraffic flag's
// evaluation, the session's first page on its first iteration, and one task by weight. It returns the
// traces' roots, finished (timed, errors set).
func (b *builder) iteration(u *user) []*Span {
	roots := []*Span{b.flag("loadGeneratorTraffic")}
	if !u.started {
		u.started = true
		roots = append(roots, b.task(u, "user_session_start", b.index))
	}
	roots = append(roots, b.pickTask().build(b, u))
	for _, r := range roots {
		finish(r)
	}
	return roots
}

func (b *builder) pickTask() Task {
	total := 0
	for _, t := range Tasks {
		total += t.Weight
	}
	r := b.rng.IntN(total)
	for _, t := range Tasks {
		if r < t.Weight {
			return t
		}
		r -= t.Weight
	}
	return Tasks[len(Tasks)-1]
}

// task is a k6 span (xk6-otel's tracer) around the task's requests, which carry its traceparent.
func (b *builder) task(u *user, name string, requests func(root *Span, u *user)) *Span {
	root := b.internal("load-generator", name, attribute.String("session.id", u.session))
	requests(root, u)
	return root
}

// flag is the load generator's OFREP evaluation of a flag (getFlagdValue): a k6 span, and flagd's server span.
func (b *builder) flag(name string) *Span {
	root := b.internal("load-generator", "feature_flag.evaluate", attribute.String("feature_flag.key", name))
	path := "/ofrep/v1/evaluate/flags/" + name
	root.Children = append(root.Children, b.server("flagd", "POST /ofrep/v1/evaluate/flags/{key}", "http", trace.SpanKindServer,
		httpServer("POST", "/ofrep/v1/evaluate/flags/{key}", path, "flagd", 8016)...))
	return root
}

// ingress is one HTTP request of the load generator through the shop's proxy: Envoy's ingress span and its
// upstream span, then the frontend's route span, to which handle adds the frontend's calls.
func (b *builder) ingress(parent *Span, method, route, path string, handle func(fe *Span)) {
	proxy := b.server("frontend-proxy", "ingress", "http", trace.SpanKindServer, append(httpServer(method, path, path, "frontend-proxy", 8080),
		attribute.String("upstream_cluster", "frontend"), attribute.String("guid:x-request-id", b.uuid()),
		attribute.String("user_agent.original", "k6/2.1.0 (https://k6.io/)"))...)
	parent.Children = append(parent.Children, proxy)
	fe := b.server("frontend", method+" "+route, "http", trace.SpanKindServer, httpServer(method, route, path, "frontend", 8080)...)
	b.call(proxy, "router frontend egress", trace.SpanKindClient, fe, httpClient(method, "http://frontend:8080"+path, "frontend", 8080)...)
	if handle != nil {
		handle(fe)
	}
}

func (b *builder) index(root *Span, _ *user) { b.ingress(root, "GET", "/", "/", nil) }

func (b *builder) browseProduct(root *Span, _ *user) {
	id := pick(b.rng, products)
	b.ingress(root, "GET", "/api/products/[productId]", "/api/products/"+id, func(fe *Span) { b.getProduct(fe, id) })
}

// getProduct is the frontend's product lookup with its price converted to the session's currency.
func (b *builder) getProduct(fe *Span, id string) {
	pc := b.grpc(fe, "product-catalog", "oteldemo.ProductCatalogService", "GetProduct", attribute.String("app.product.id", id))
	b.db(pc, "astronomy-db", "postgresql", "SELECT", "SELECT id, name, description, picture, price_currency_code, price_units, price_nanos, categories FROM catalog.products WHERE id = $1")
	b.grpc(fe, "currency", "oteldemo.CurrencyService", "Convert", attribute.String("app.currency.conversion.from", "USD"), attribute.String("app.currency.conversion.to", "CHF"))
}

func (b *builder) recommendations(root *Span, _ *user) {
	id := pick(b.rng, products)
	b.ingress(root, "GET", "/api/recommendations", "/api/recommendations?productIds="+id, func(fe *Span) {
		rec := b.grpc(fe, "recommendation", "oteldemo.RecommendationService", "ListRecommendations", attribute.Int("app.products.count", 1))
		rec.Children = append(rec.Children, b.internal("recommendation", "get_product_list", attribute.Bool("app.cache_hit", b.rng.IntN(2) == 0)))
		pc := b.grpc(rec, "product-catalog", "oteldemo.ProductCatalogService", "ListProducts")
		b.db(pc, "astronomy-db", "postgresql", "SELECT", "SELECT id, name, description, picture, price_currency_code, price_units, price_nanos, categories FROM catalog.products")
		for range 4 {
			b.getProduct(fe, pick(b.rng, products))
		}
	})
}

func (b *builder) ads(root *Span, _ *user) {
	cat := pick(b.rng, categories)
	b.ingress(root, "GET", "/api/data", "/api/data/?contextKeys="+cat, func(fe *Span) {
		b.grpc(fe, "ad", "oteldemo.AdService", "GetAds", attribute.String("app.ads.contextKeys", "["+cat+"]"),
			attribute.Int("app.ads.contextKeys.count", 1), attribute.String("app.ads.ad_request_type", "TARGETED"))
	})
}

func (b *builder) viewCart(root *Span, u *user) {
	b.ingress(root, "GET", "/api/cart", "/api/cart?sessionId="+u.session+"&currencyCode=CHF", func(fe *Span) {
		cart := b.grpc(fe, "cart", "oteldemo.CartService", "GetCart", attribute.String("app.user.id", u.session))
		b.db(cart, "valkey-cart", "redis", "HGET", "HGET "+u.session)
	})
}

// addToCart is the script's addToCart: the product's page, then the cart's POST, both under the task's span.
func (b *builder) addToCart(root *Span, u *user) {
	id := pick(b.rng, products)
	b.ingress(root, "GET", "/api/products/[productId]", "/api/products/"+id, func(fe *Span) { b.getProduct(fe, id) })
	b.ingress(root, "POST", "/api/cart", "/api/cart", func(fe *Span) {
		cart := b.grpc(fe, "cart", "oteldemo.CartService", "AddItem", attribute.String("app.product.id", id),
			attribute.Int("app.product.quantity", pick(b.rng, []int{1, 2, 3, 4, 5, 10})), attribute.String("app.user.id", u.session))
		b.db(cart, "valkey-cart", "redis", "HGET", "HGET "+u.session)
		b.db(cart, "valkey-cart", "redis", "HSET", "HSET "+u.session+" cart ?")
		b.db(cart, "valkey-cart", "redis", "EXPIRE", "EXPIRE "+u.session+" 3600")
	})
}

// checkout is checkout or checkoutMulti: items × addToCart, then the order through checkout's PlaceOrder.
func (b *builder) checkout(u *user, items int) *Span {
	name := "user_checkout_single"
	if items > 1 {
		name = "user_checkout_multi"
	}
	return b.task(u, name, func(root *Span, u *user) {
		for range items {
			b.addToCart(root, u)
		}
		b.ingress(root, "POST", "/api/checkout", "/api/checkout", func(fe *Span) {
			b.placeOrder(fe, u, items)
			for range items {
				b.grpc(fe, "currency", "oteldemo.CurrencyService", "Convert")
			}
		})
	})
}

// placeOrder is checkout's PlaceOrder (demo src/checkout/main.go): the cart, each item's product and price,
// the shipping quote, the payment, the shipment, the cart emptied, the confirmation mail, and the order
// published to Kafka for accounting and fraud detection.
func (b *builder) placeOrder(fe *Span, u *user, items int) {
	order := b.uuid()
	co := b.grpc(fe, "checkout", "oteldemo.CheckoutService", "PlaceOrder", attribute.String("app.user.id", u.session),
		attribute.String("app.user.currency", "CHF"))
	co.Children = append(co.Children, b.internal("checkout", "prepareOrderItemsAndShippingQuoteFromCart"))
	prep := co.Children[len(co.Children)-1]
	cart := b.grpc(prep, "cart", "oteldemo.CartService", "GetCart", attribute.String("app.user.id", u.session))
	b.db(cart, "valkey-cart", "redis", "HGET", "HGET "+u.session)
	for range items {
		pc := b.grpc(prep, "product-catalog", "oteldemo.ProductCatalogService", "GetProduct", attribute.String("app.product.id", pick(b.rng, products)))
		b.db(pc, "astronomy-db", "postgresql", "SELECT", "SELECT id, name, description, picture, price_currency_code, price_units, price_nanos, categories FROM catalog.products WHERE id = $1")
		b.grpc(prep, "currency", "oteldemo.CurrencyService", "Convert")
	}
	ship := b.http(prep, "shipping", "POST", "/get-quote", 8080)
	b.http(ship, "quote", "POST", "/getquote", 8080)
	b.grpc(prep, "currency", "oteldemo.CurrencyService", "Convert")
	b.grpc(co, "payment", "oteldemo.PaymentService", "Charge", attribute.String("app.payment.card_type", "visa"),
		attribute.Bool("app.payment.card_valid", true), attribute.Bool("app.loyalty.level", false))
	b.http(co, "shipping", "POST", "/ship-order", 8080)
	emptied := b.grpc(co, "cart", "oteldemo.CartService", "EmptyCart", attribute.String("app.user.id", u.session))
	b.db(emptied, "valkey-cart", "redis", "HDEL", "HDEL "+u.session)
	b.http(co, "email", "POST", "/send_order_confirmation", 8080)
	co.Attrs = append(co.Attrs, attribute.String("app.order.id", order), attribute.Int("app.order.items.count", items),
		attribute.String("app.shipping.tracking.id", b.uuid()), attribute.Float64("app.order.amount", 100+b.rng.Float64()*900))
	// The order goes to Kafka; accounting and fraud detection consume it after checkout has answered.
	pub := &Span{Service: "checkout", Name: "orders publish", Kind: trace.SpanKindProducer, Proto: "messaging",
		self: b.selfTime("kafka"), Attrs: messaging("publish", "checkout")}
	pub.failed = b.fails("kafka")
	co.Children = append(co.Children, pub)
	acct := b.server("accounting", "orders process", "messaging", trace.SpanKindConsumer, messaging("process", "accounting")...)
	acct.Async = true
	b.db(acct, "astronomy-db", "postgresql", "INSERT", "INSERT INTO accounting.order (order_id) VALUES ($1)")
	b.db(acct, "astronomy-db", "postgresql", "INSERT", "INSERT INTO accounting.orderitem (order_id, product_id, quantity) VALUES ($1, $2, $3)")
	b.db(acct, "astronomy-db", "postgresql", "INSERT", "INSERT INTO accounting.shipping (order_id, tracking_id) VALUES ($1, $2)")
	fraud := b.server("fraud-detection", "orders process", "messaging", trace.SpanKindConsumer, messaging("process", "fraud-detection")...)
	fraud.Async = true
	pub.Children = append(pub.Children, acct, fraud)
}

// grpc is a gRPC call from parent's service to a method of the callee: the client span (grpc-js, otelgrpc, …)
// and the server span, both named service/method.
func (b *builder) grpc(parent *Span, callee, rpcService, method string, appAttrs ...attribute.KeyValue) *Span {
	name := rpcService + "/" + method
	attrs := []attribute.KeyValue{attribute.String("rpc.system", "grpc"), attribute.String("rpc.service", rpcService),
		attribute.String("rpc.method", method), attribute.Int("rpc.grpc.status_code", 0)}
	srv := b.server(callee, name, "grpc", trace.SpanKindServer, append(append(append([]attribute.KeyValue{}, attrs...),
		attribute.String("server.address", callee), attribute.Int("server.port", 8080),
		attribute.String("network.peer.address", "10.244.0.17"), attribute.Int("network.peer.port", 40000+b.rng.IntN(20000))), appAttrs...)...)
	b.call(parent, name, trace.SpanKindClient, srv, append(attrs, attribute.String("server.address", callee), attribute.Int("server.port", 8080))...)
	return srv
}

// http is a plain HTTP call (shipping, quote, email): the client span and the callee's route span.
func (b *builder) http(parent *Span, callee, method, route string, port int) *Span {
	srv := b.server(callee, method+" "+route, "http", trace.SpanKindServer, httpServer(method, route, route, callee, port)...)
	b.call(parent, method, trace.SpanKindClient, srv, httpClient(method, fmt.Sprintf("http://%s:%d%s", callee, port, route), callee, port)...)
	return srv
}

// db is a client span of parent's service to a database, which reports no span itself; a fault on the
// database (its catalog name) slows or fails it.
func (b *builder) db(parent *Span, database, system, op, query string) {
	s := &Span{Service: parent.Service, Name: op + " " + database, Kind: trace.SpanKindClient, Proto: "db", self: b.selfTime(database),
		Attrs: []attribute.KeyValue{attribute.String("db.system.name", system), attribute.String("db.operation.name", op),
			attribute.String("db.query.text", query), attribute.String("server.address", database), attribute.Int("server.port", dbPort[system])}}
	s.failed = b.fails(database)
	parent.Children = append(parent.Children, s)
}

var dbPort = map[string]int{"postgresql": 5432, "redis": 6379}

func httpServer(method, route, target, host string, port int) []attribute.KeyValue {
	path, query, _ := strings.Cut(target, "?")
	attrs := []attribute.KeyValue{attribute.String("http.request.method", method), attribute.String("http.route", route),
		attribute.String("url.path", path), attribute.String("url.scheme", "http"), attribute.Int("http.response.status_code", 200),
		attribute.String("server.address", host), attribute.Int("server.port", port), attribute.String("network.protocol.version", "1.1"),
		attribute.String("client.address", "10.244.0.23")}
	if query != "" {
		attrs = append(attrs, attribute.String("url.query", query))
	}
	return attrs
}

func httpClient(method, url, host string, port int) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.String("http.request.method", method), attribute.String("url.full", url),
		attribute.String("server.address", host), attribute.Int("server.port", port), attribute.Int("http.response.status_code", 200),
		attribute.String("network.protocol.version", "1.1")}
}

func messaging(op, client string) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.String("messaging.system", "kafka"), attribute.String("messaging.destination.name", "orders"),
		attribute.String("messaging.operation.type", op), attribute.String("messaging.client.id", client),
		attribute.Int("messaging.kafka.destination.partition", 0), attribute.Int("messaging.kafka.message.offset", 1000)}
}

func pick[T any](rng *rand.Rand, items []T) T { return items[rng.IntN(len(items))] }

func (b *builder) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", b.rng.Uint32(), b.rng.Uint32()&0xffff, b.rng.Uint32()&0xfff,
		0x8000|b.rng.Uint32()&0x3fff, b.rng.Uint64()&0xffffffffffff)
}

// MeanSleep is the script's think time between iterations, sleep(U(1, 10)) s.
const MeanSleep = 5500 * time.Millisecond
