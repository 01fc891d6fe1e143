package pulumimock

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type component struct{ pulumi.ResourceState }

type thing struct{ pulumi.CustomResourceState }

func TestRecordsURNsParentsAndAliases(t *testing.T) {
	m := New("proj", "dev")
	err := m.Run(func(ctx *pulumi.Context) error {
		c := &component{}
		if err := ctx.RegisterComponentResource("test:index:Comp", "box", c); err != nil {
			return err
		}
		var child thing
		return ctx.RegisterResource("test:index:Thing", "box-thing", pulumi.Map{"size": pulumi.Int(3), "secret": pulumi.ToSecret(pulumi.String("s"))}, &child,
			pulumi.Parent(c), pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String("thing")}}))
	})
	if err != nil {
		t.Fatal(err)
	}
	comp, ok := m.Named("test:index:Comp", "box")
	if !ok || comp.URN != "urn:pulumi:dev::proj::test:index:Comp::box" || comp.Custom {
		t.Fatalf("component: %+v", comp)
	}
	child, ok := m.Named("test:index:Thing", "box-thing")
	if !ok {
		t.Fatal("child not recorded")
	}
	if want := "urn:pulumi:dev::proj::test:index:Comp$test:index:Thing::box-thing"; child.URN != want {
		t.Errorf("child URN %s, want %s", child.URN, want)
	}
	if child.Parent != comp.URN || !child.Custom {
		t.Errorf("child parent %q custom %v", child.Parent, child.Custom)
	}
	if want := "urn:pulumi:dev::proj::test:index:Comp$test:index:Thing::thing"; len(child.Aliases) != 1 || child.Aliases[0] != want {
		t.Errorf("aliases %v, want [%s]", child.Aliases, want)
	}
	if in := child.PlainInputs(); in["size"] != 3.0 || in["secret"] != "s" {
		t.Errorf("plain inputs %v", in)
	}
	if len(m.OfType("test:index:Thing")) != 1 {
		t.Errorf("OfType: %v", m.OfType("test:index:Thing"))
	}
}
