package widgets

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

func TestFlowWrapsAtTheWidth(t *testing.T) {
	test.NewTempApp(t)
	box := func() fyne.CanvasObject { r := canvas.NewRectangle(nil); r.SetMinSize(fyne.NewSize(100, 20)); return r }
	relayouts := 0
	f := &Flow{Relayout: func() { relayouts++ }}
	c := container.New(f, box(), box(), box())
	c.Resize(fyne.NewSize(1000, 20))
	if y := c.Objects[2].Position().Y; y != 0 {
		t.Fatalf("wide: third box at y %v, want one line", y)
	}
	c.Resize(fyne.NewSize(250, 20))
	if c.Objects[1].Position().Y != 0 || c.Objects[2].Position().Y <= 0 || c.Objects[2].Position().X != 0 {
		t.Fatalf("narrow: positions %v %v %v", c.Objects[0].Position(), c.Objects[1].Position(), c.Objects[2].Position())
	}
	if h := f.MinSize(c.Objects).Height; h < 40 {
		t.Errorf("two lines need %v high", h)
	}
	if relayouts == 0 {
		t.Error("a change in the number of lines did not ask the owner to lay out again")
	}
}

func TestTilesWrapIntoRowsThatShareTheWidth(t *testing.T) {
	test.NewTempApp(t)
	box := func() fyne.CanvasObject {
		r := canvas.NewRectangle(nil)
		r.SetMinSize(fyne.NewSize(300, 100))
		return r
	}
	relayouts := 0
	tl := &Tiles{Relayout: func() { relayouts++ }}
	c := container.New(tl, box(), box(), box(), box())
	c.Resize(fyne.NewSize(1400, 100))
	for i, o := range c.Objects {
		if o.Position().Y != 0 || o.Size().Width < 300 {
			t.Fatalf("wide: tile %d at %v size %v, want one row", i, o.Position(), o.Size())
		}
	}
	c.Resize(fyne.NewSize(700, 300))
	a, b, third := c.Objects[0], c.Objects[1], c.Objects[2]
	if b.Position().Y != 0 || third.Position().Y <= a.Position().Y || third.Position().X != 0 {
		t.Fatalf("narrow: positions %v %v %v, want two columns", a.Position(), b.Position(), third.Position())
	}
	if a.Size().Width < 300 || b.Position().X+b.Size().Width > 700 {
		t.Errorf("narrow: tiles %v at %v cross the edge or shrink below their minimum", b.Size(), b.Position())
	}
	if a.Size().Height < 100 {
		t.Errorf("rows got %v high, under the tiles' minimum", a.Size().Height)
	}
	if m := tl.MinSize(c.Objects); m.Width != 300 || m.Height < 200 {
		t.Errorf("min size %v: want one tile wide and two rows high", m)
	}
	if relayouts == 0 {
		t.Error("a change in the number of rows did not ask the owner to lay out again")
	}
	c.Resize(fyne.NewSize(200, 100)) // narrower than a tile: one column
	if c.Objects[1].Position().X != 0 {
		t.Errorf("too narrow: second tile at %v, want one column", c.Objects[1].Position())
	}
}
