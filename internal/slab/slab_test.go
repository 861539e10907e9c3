package slab

import "testing"

func TestSlabsAreZeroedAndWritable(t *testing.T) {
	u64, free64 := Uint64s(1 << 16)
	u32, free32 := Uint32s(3)
	b, freeB := Bytes(10)
	defer free64()
	defer free32()
	defer freeB()
	if len(u64) != 1<<16 || len(u32) != 3 || len(b) != 10 {
		t.Fatalf("lengths %d %d %d", len(u64), len(u32), len(b))
	}
	for i := range u64 {
		if u64[i] != 0 {
			t.Fatalf("u64[%d] = %d, not zeroed", i, u64[i])
		}
		u64[i] = uint64(i)
	}
	u32[2], b[9] = 7, 8
	if u64[1<<16-1] != 1<<16-1 || u32[2] != 7 || b[9] != 8 {
		t.Error("writes did not stick")
	}
	if s, free := Uint64s(0); s != nil {
		t.Error("an empty slab is not nil")
	} else {
		free()
	}
}
