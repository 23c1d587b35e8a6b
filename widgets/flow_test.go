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
