package app

import "testing"

func TestHandoffKeepsOneUpdatePending(t *testing.T) {
	var queue []func()
	var shown []int
	h := &handoff[int]{
		do:    func(f func()) { queue = append(queue, f) },
		apply: func(v *int) { shown = append(shown, *v) },
	}
	for i := 1; i <= 5; i++ {
		h.Offer(&i)
	}
	if len(queue) != 1 {
		t.Fatalf("%d updates queued for 5 offers, want 1", len(queue))
	}
	queue[0]()
	if len(shown) != 1 || shown[0] != 5 {
		t.Fatalf("UI showed %v, want only the newest [5]", shown)
	}
	six := 6
	h.Offer(&six)
	if len(queue) != 2 {
		t.Fatal("no update queued after the previous one ran")
	}
	queue[1]()
	if shown[1] != 6 {
		t.Fatalf("UI showed %v", shown)
	}
}
