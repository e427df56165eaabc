package config

import "go.yaml.in/yaml/v3"

// resolveMerges applies YAML merge keys ("<<: *defaults", "<<: [*a, *b]") in
// place: every mapping that merges gets the merged pairs as its own, so the
// decoder and FileKeys see plain mappings. As in YAML's merge spec (and
// yaml.v3's own decoder), a mapping's own keys win over merged ones wherever
// "<<" stands, and in a list the earlier mapping wins. The pairs keep their
// nodes, so an error in a merged value names the line where it is written and
// the key path where it is merged. Each mapping is resolved once, so aliases
// repeated in merges cost no more than the document's size.
func resolveMerges(doc *yaml.Node) error {
	m := &merger{seen: map[*yaml.Node]bool{}, done: map[*yaml.Node]bool{}, active: map[*yaml.Node]bool{}}
	return m.walk(doc, "")
}

type merger struct {
	seen   map[*yaml.Node]bool // walked
	done   map[*yaml.Node]bool // merges resolved
	active map[*yaml.Node]bool // being resolved: a merge of one of these is a cycle
}

func (m *merger) walk(n *yaml.Node, path string) error {
	if n.Kind == yaml.AliasNode || m.seen[n] {
		return nil // an alias's target is walked where it is written
	}
	m.seen[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		if err := m.flatten(n, path); err != nil {
			return err
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := m.walk(n.Content[i+1], join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := m.walk(c, index(path, i)); err != nil {
				return err
			}
		}
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := m.walk(c, path); err != nil {
				return err
			}
		}
	}
	return nil
}

// flatten replaces the merge keys of mapping n by the pairs they bring.
func (m *merger) flatten(n *yaml.Node, path string) error {
	if m.done[n] {
		return nil
	}
	own := map[string]bool{}
	merges := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; isMerge(k) {
			merges = true
		} else if k.Kind == yaml.ScalarNode {
			own[k.Value] = true
		}
	}
	if !merges {
		m.done[n] = true
		return nil
	}
	m.active[n] = true
	defer delete(m.active, n)
	taken := map[string]bool{}         // scalar keys already merged in
	takenNode := map[*yaml.Node]bool{} // other keys, by identity
	out := make([]*yaml.Node, 0, len(n.Content))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMerge(k) {
			out = append(out, k, v)
			continue
		}
		srcs, err := m.sources(v, join(path, k.Value))
		if err != nil {
			return err
		}
		for _, src := range srcs {
			for j := 0; j+1 < len(src.Content); j += 2 {
				sk := src.Content[j]
				if sk.Kind == yaml.ScalarNode {
					if own[sk.Value] || taken[sk.Value] {
						continue
					}
					taken[sk.Value] = true
				} else if takenNode[sk] {
					continue
				} else {
					takenNode[sk] = true
				}
				out = append(out, sk, src.Content[j+1])
			}
		}
	}
	n.Content = out
	m.done[n] = true
	return nil
}

// sources returns the mappings a merge value names, resolved themselves.
func (m *merger) sources(v *yaml.Node, path string) ([]*yaml.Node, error) {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	out := make([]*yaml.Node, 0, len(items))
	for _, it := range items {
		t := it
		if t.Kind == yaml.AliasNode && t.Alias != nil {
			t = t.Alias
		}
		if t.Kind != yaml.MappingNode {
			return nil, &KeyError{Line: it.Line, Key: path, Msg: "want a mapping or a list of mappings to merge (such as *defaults or [*a, *b]), got " + kindName(t)}
		}
		if m.active[t] {
			return nil, &KeyError{Line: it.Line, Key: path, Msg: "merges itself, directly or through another merge"}
		}
		if err := m.flatten(t, path); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// isMerge reports whether k is the merge key: "<<" unquoted (or tagged !!merge).
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}
