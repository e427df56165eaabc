package deploycheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// strictCodecs refuse unknown and duplicate fields.
var strictCodecs = serializer.NewCodecFactory(clientgoscheme.Scheme, serializer.EnableStrict)

// object is a strictly decoded document.
type object struct {
	doc
	gvk  schema.GroupVersionKind
	name string
	obj  any // *appsv1.Deployment, *ScaledObject, *istionet.VirtualService, ...
}

func (o object) String() string {
	return fmt.Sprintf("%s %s (%s)", o.gvk.Kind, o.name, o.source)
}

// decode decodes d strictly into its typed object: a kind of the
// client-go scheme twice, with sigs.k8s.io/yaml.UnmarshalStrict and the
// scheme's strict UniversalDeserializer; a KEDA kind into the mirror
// types of keda_test.go; an Istio kind into istio.io/client-go's types,
// its spec with protojson (which refuses unknown fields; istio's own
// UnmarshalJSON allows them). Any other kind is an error. The strict
// decoders fill the object even when they fail: the error is what counts.
func decode(d doc) (object, error) {
	var tm struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(d.text), &tm); err != nil {
		return object{doc: d}, fmt.Errorf("not YAML: %w", err)
	}
	gvk := tm.GroupVersionKind()
	o := object{doc: d, gvk: gvk, name: tm.Metadata.Name}
	if gvk.Kind == "" || gvk.Version == "" {
		return o, errors.New("no apiVersion or kind")
	}
	if o.name == "" {
		return o, errors.New("no metadata.name")
	}
	switch {
	case clientgoscheme.Scheme.Recognizes(gvk):
		typed, err := clientgoscheme.Scheme.New(gvk)
		if err != nil {
			return o, err
		}
		if err := yaml.UnmarshalStrict([]byte(d.text), typed); err != nil {
			return o, fmt.Errorf("yaml.UnmarshalStrict into %T: %w", typed, err)
		}
		obj, _, err := strictCodecs.UniversalDeserializer().Decode([]byte(d.text), nil, nil)
		if err != nil {
			return o, fmt.Errorf("strict UniversalDeserializer (strict error: %v): %w", runtime.IsStrictDecodingError(err), err)
		}
		o.obj = obj
	case gvk.Group == "keda.sh":
		var typed any
		switch gvk {
		case schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: "ScaledObject"}:
			typed = &ScaledObject{}
		case schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: "TriggerAuthentication"}:
			typed = &TriggerAuthentication{}
		default:
			return o, fmt.Errorf("%s is not a KEDA kind the tests know (keda.sh/v1alpha1 ScaledObject, TriggerAuthentication)", gvk)
		}
		if err := yaml.UnmarshalStrict([]byte(d.text), typed); err != nil {
			return o, fmt.Errorf("yaml.UnmarshalStrict into %T: %w", typed, err)
		}
		o.obj = typed
	case gvk.Group == "networking.istio.io":
		obj, err := decodeIstio(gvk, []byte(d.text))
		if err != nil {
			return o, err
		}
		o.obj = obj
	default:
		return o, fmt.Errorf("kind %s is neither in client-go's scheme nor a KEDA or Istio kind", gvk)
	}
	return o, nil
}

func decodeIstio(gvk schema.GroupVersionKind, text []byte) (any, error) {
	var raw struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
		Spec              json.RawMessage `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(text, &raw); err != nil {
		return nil, fmt.Errorf("yaml.UnmarshalStrict: %w", err)
	}
	if gvk.Version != "v1" {
		return nil, fmt.Errorf("%s: use networking.istio.io/v1 (Istio 1.22+; v1beta1 and v1alpha3 are deprecated aliases)", gvk)
	}
	var obj any
	var spec proto.Message
	switch gvk.Kind {
	case "VirtualService":
		vs := &istionet.VirtualService{TypeMeta: raw.TypeMeta, ObjectMeta: raw.ObjectMeta}
		obj, spec = vs, &vs.Spec
	case "DestinationRule":
		dr := &istionet.DestinationRule{TypeMeta: raw.TypeMeta, ObjectMeta: raw.ObjectMeta}
		obj, spec = dr, &dr.Spec
	default:
		return nil, fmt.Errorf("%s is not an Istio kind the tests know (VirtualService, DestinationRule)", gvk)
	}
	if len(raw.Spec) == 0 {
		return nil, errors.New("no spec")
	}
	if err := protojson.Unmarshal(raw.Spec, spec); err != nil {
		return nil, fmt.Errorf("spec as %s (protojson, unknown fields refused): %w", gvk.Kind, err)
	}
	return obj, nil
}

// decodeAll decodes every document, returning the objects and one error
// line per document that failed.
func decodeAll(docs []doc) ([]object, []string) {
	var objs []object
	var problems []string
	for _, d := range docs {
		o, err := decode(d)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %s (%s): %v\n%s", o.gvk.Kind, o.name, d.source, err, indent(d.text)))
			continue
		}
		objs = append(objs, o)
	}
	return objs, problems
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}

// byKind returns the objects of kind, typed.
func byKind[T any](objs []object) []T {
	var out []T
	for _, o := range objs {
		if t, ok := o.obj.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
