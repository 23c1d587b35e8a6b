package app

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
)

func TestCrop(t *testing.T) {
	shot := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	shot.Set(30, 20, color.NRGBA{255, 0, 0, 255}) // (15, 10) in canvas units at scale 2
	img, err := crop(shot, 2, fyne.NewPos(15, 10), fyne.NewSize(20, 10))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 20 {
		t.Fatalf("crop size %v", b)
	}
	if r, _, _, _ := img.At(0, 0).RGBA(); r>>8 != 255 {
		t.Fatal("crop origin is not the object's top-left pixel")
	}
	if _, err := crop(shot, 1, fyne.NewPos(500, 500), fyne.NewSize(10, 10)); err == nil {
		t.Fatal("an object off screen was cropped")
	}
}
