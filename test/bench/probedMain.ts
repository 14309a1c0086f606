// The real firmware (devs/main.ts, unchanged) plus a free-heap probe for
// the load test (test/load.e2e.test.ts): a Button role "heapProbe"; when
// the button is pressed, 256-byte buffers are allocated and kept until the
// VM runs out of memory, a "HEAP <KB>" line printed after each. The last
// line before the out-of-memory restart is the heap the firmware left
// free (the GC runs before any allocation fails, so garbage counts as
// free). The probe ends the run: the VM restarts the program from flash.
import * as ds from "@devicescript/core"
import "../../devs/main"

const probe = new ds.Button("heapProbe")
const keep: Buffer[] = []

// (a second press while probing adds a second allocator: the test presses
// once; no guard, as every byte of bytecode counts here)
probe.down.subscribe(async () => {
    console.log("HEAP 0")
    for (let q = 1; q <= 1024; ++q) {
        keep.push(Buffer.alloc(256))
        console.log("HEAP " + q / 4)
        await ds.sleep(0)
    }
})
