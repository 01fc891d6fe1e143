package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// decodeJSON parses raw config JSON keeping numbers exact.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// reader reads typed values out of one raw object, recording type errors at the keys' paths. A value of the
// wrong type reads as absent, so that one mistake gives one error.
type reader struct {
	path *field.Path
	m    map[string]any
	e    *errs
}

func (r reader) p(key string) *field.Path { return r.path.Child(key) }

func (r reader) str(key string) string {
	v, ok := r.m[key]
	if !ok || v == nil {
		return ""
	}
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	}
	r.e.add(typeError(r.p(key), v, "expected a string"))
	return ""
}

func (r reader) boolean(key string) bool {
	v, ok := r.m[key]
	if !ok || v == nil {
		return false
	}
	switch t := v.(type) {
	case bool:
		return t
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
			return b
		}
	}
	r.e.add(typeError(r.p(key), v, "expected true or false"))
	return false
}

// optBoolean reads a boolean that may be absent (nil), as opposed to false.
func (r reader) optBoolean(key string) *bool {
	if v, ok := r.m[key]; !ok || v == nil {
		return nil
	}
	before := r.e.count()
	b := r.boolean(key)
	if r.e.count() > before {
		return nil
	}
	return &b
}

// integer reads a whole number (a JSON number or a numeric string); nil when absent or not a whole number.
func (r reader) integer(key string) *int {
	v, ok := r.m[key]
	if !ok || v == nil {
		return nil
	}
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	default:
		r.e.add(typeError(r.p(key), v, "expected a whole number"))
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		r.e.add(field.TypeInvalid(r.p(key), s, "expected a whole number"))
		return nil
	}
	return &n
}

// strList reads a list of strings; a single string reads as a list of one.
func (r reader) strList(key string) []string {
	v, ok := r.m[key]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		if s, isStr := v.(string); isStr {
			return []string{strings.TrimSpace(s)}
		}
		r.e.add(typeError(r.p(key), v, "expected a list of strings"))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok {
			r.e.add(typeError(r.p(key).Index(i), item, "expected a string"))
			continue
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// unknownKeys reports the keys not in allowed, suggesting the closest known key; what names the object.
func (r reader) unknownKeys(allowed []string, what string) {
	keys := make([]string, 0, len(r.m))
	for k := range r.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			r.e.add(unknownKey(r.p(k), what, k, allowed))
		}
	}
}

// describe names a raw value's type for an error: "the number 3", "a list".
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(t)
	case json.Number:
		return "the number " + t.String()
	case bool:
		return "the boolean " + strconv.FormatBool(t)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// typeError is a value of the wrong type. A scalar is shown as it is; a list or an object by its type
// only, since a whole object would swamp the message.
func typeError(path *field.Path, v any, expected string) *field.Error {
	switch v.(type) {
	case []any, map[string]any, nil:
		return field.TypeInvalid(path, field.OmitValueType{}, expected+", got "+describe(v))
	}
	return field.TypeInvalid(path, v, expected)
}
