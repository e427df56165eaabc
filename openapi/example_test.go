package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/goxkit/gox/openapi"
	xhttp "github.com/goxkit/gox/transport/http"
)

type CreateOrder struct {
	Shop  string `uri:"shop" binding:"required"`
	Item  string `json:"item" binding:"required,min=1,max=64"`
	Count int    `json:"count" binding:"required,gte=1,lte=100"`
}

type Order struct {
	ID    string `json:"id"`
	Item  string `json:"item"`
	Count int    `json:"count"`
}

func Example() {
	s, _ := xhttp.NewServer(xhttp.DefaultConfig())
	s.POST("/v1/shops/:shop/orders", xhttp.Doc("Place an order", "",
		xhttp.JSON(func(_ context.Context, r *CreateOrder) (*Order, error) {
			return &Order{ID: "o-1", Item: r.Item, Count: r.Count}, nil
		})))
	s.GET("/v1/status", func(c *xhttp.Context) error { c.String(200, "ok"); return nil })

	// /openapi.json and /docs/ for everyone; a service would also pass
	// Docs: docsui.Handler(docsui.Options{Title: name}).
	_ = openapi.Mount(s, openapi.Options{Expose: openapi.Public, Title: "shop", Version: "1.0.0"})

	b, _ := openapi.Document(s, openapi.Options{Title: "shop", Version: "1.0.0"})
	var doc struct {
		Paths map[string]map[string]struct {
			Summary   string
			Responses map[string]any
		}
		Components struct{ Schemas map[string]json.RawMessage }
	}
	_ = json.Unmarshal(b, &doc)
	post := doc.Paths["/v1/shops/{shop}/orders"]["post"]
	fmt.Println(post.Summary, len(post.Responses), "responses")
	var body json.RawMessage = doc.Components.Schemas["OpenapiTestCreateOrder"]
	compact, _ := json.Marshal(body)
	fmt.Println(string(compact))
	// Output:
	// Place an order 8 responses
	// {"properties":{"count":{"maximum":100,"minimum":1,"type":"integer"},"item":{"maxLength":64,"minLength":1,"type":"string"}},"required":["item","count"],"type":"object"}
}
