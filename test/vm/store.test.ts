// ChunkedStore over the real settings service, in the DeviceScript VM.
import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"
import {
    ChunkedStore,
    KeyValueStore,
    MAX_CHUNK_BYTES,
} from "../../devs/store/chunkedStore"
import { SettingsStore } from "../../devs/store/settingsStore"

// Rotations of one 64-character block: a loop over every character of a
// 10 KB string already exceeds the VM's opcode budget for one time slice,
// and an array of 3072 one-character strings the heap.
function text(n: number, alphabet: string): string {
    const base: string[] = []
    for (let i = 0; i < 64; ++i)
        base.push(alphabet.charAt((i * 5 + (i >> 3)) % alphabet.length))
    const block = base.join("")
    const blocks: string[] = []
    for (let b = 0; b * 64 < n; ++b) {
        const o = (b * 7) % 64
        blocks.push(block.slice(o) + block.slice(0, o))
    }
    return blocks.join("").slice(0, n)
}

// Yields on every operation like the settings store: ChunkedStore relies on
// that to stay within the VM's opcode budget per time slice.
class MemoryKV implements KeyValueStore {
    data: Record<string, string> = {}
    async read(key: string) {
        await ds.sleep(0)
        return this.data[key]
    }
    async write(key: string, value: string) {
        await ds.sleep(0)
        this.data[key] = value
    }
    async remove(key: string) {
        await ds.sleep(0)
        this.data[key] = undefined
    }
}

/** Leaves the flash as it was for the other VM tests. */
async function clearAndCheck(kv: SettingsStore, name: string) {
    await new ChunkedStore(kv, name).clear()
    expect(await new ChunkedStore(kv, name).load()).toBe(undefined)
    expect(await kv.read(name + "a0")).toBe(undefined)
    expect(await kv.read(name + "b0")).toBe(undefined)
    expect(await kv.read(name + "ah")).toBe(undefined)
}

describe("chunked store", () => {
    // no real I/O between chunks: checks the VM's per-slice opcode budget
    test("10 KB of mixed text over an in-memory store", async () => {
        await ds.sleep(0)
        const kv = new MemoryKV()
        const v = text(10240, "abcdefghij电klmnopqrstuvwxyz0123456789")
        const store = new ChunkedStore(kv, "mem")
        await store.save("old")
        await store.save(v)
        expect(await new ChunkedStore(kv, "mem").load()).toBe(v)
    })
})

describe("settings store", () => {
    test("raw values: missing, empty, Chinese, too large", async () => {
        await ds.sleep(0)
        const kv = new SettingsStore()
        await kv.remove("zzraw")
        expect(await kv.read("zzraw")).toBe(undefined)
        await kv.write("zzraw", "")
        expect(await kv.read("zzraw")).toBe("")
        // one full chunk of Chinese under the longest key
        const cn = text(Math.floor(MAX_CHUNK_BYTES / 3), "电话前台声讯台")
        await kv.write("zzrawzzrawzz1", cn)
        expect(await kv.read("zzrawzzrawzz1")).toBe(cn)
        expect(Buffer.from(cn).length).toBe(198)
        // too large: a RangeError, not a VM abort
        let threw = false
        try {
            await kv.write("zzraw", text(80, "前台"))
        } catch (e) {
            threw = true
        }
        expect(threw).toBe(true)
        expect(await kv.read("zzraw")).toBe("")
        await kv.remove("zzraw")
        await kv.remove("zzrawzzrawzz1")
        expect(await kv.read("zzraw")).toBe(undefined)
    })

    test("chunked round trip of 3 KB", async () => {
        await ds.sleep(0)
        const kv = new SettingsStore()
        const v = text(3072, 'abcdefghijklmnopqrstuvwxyz0123456789 {}":,\\')
        await new ChunkedStore(kv, "tst3k").save(v)
        // a fresh instance, as after a restart
        const loaded = await new ChunkedStore(kv, "tst3k").load()
        expect(loaded.length).toBe(3072)
        expect(loaded).toBe(v)
        await clearAndCheck(kv, "tst3k")
    })

    test("chunked round trip of Chinese text", async () => {
        await ds.sleep(0)
        const kv = new SettingsStore()
        const v = text(300, "电话管理制度前台声讯台长途市话国际停机") + " ok"
        const store = new ChunkedStore(kv, "tstcn")
        await store.save("old")
        await store.save(v)
        expect(await new ChunkedStore(kv, "tstcn").load()).toBe(v)
        // 66 characters a chunk: 303 characters → 5 chunks
        expect(await kv.read("tstcnb4")).toBe(v.slice(264))
        expect(await kv.read("tstcnb5")).toBe(undefined)
        await clearAndCheck(kv, "tstcn")
    })

    test("a shorter value after a longer one", async () => {
        await ds.sleep(0)
        const kv = new SettingsStore()
        const store = new ChunkedStore(kv, "tstsh")
        await store.save(text(1000, "xyz"))
        await store.save("b")
        await store.save("short")
        expect(await new ChunkedStore(kv, "tstsh").load()).toBe("short")
        expect(await kv.read("tstsha1")).toBe(undefined)
        await clearAndCheck(kv, "tstsh")
    })

    // Both slots together need twice the value: 3 KB values use ~6 KB of the
    // simulator's ~7 KB of settings.
    test("a save that doesn't fit in flash throws and keeps the old value", async () => {
        await ds.sleep(0)
        const kv = new SettingsStore()
        const store = new ChunkedStore(kv, "tstful")
        await store.save("old value")
        const filler = text(190, "0123456789")
        let n = 0
        let full = false
        while (!full && n < 100) {
            try {
                await kv.write("tstfill" + n, filler)
                n++
            } catch (e) {
                full = true
            }
        }
        expect(full).toBe(true)
        let threw = false
        try {
            await store.save(text(2000, "abcdef前台"))
        } catch (e) {
            threw = true
        }
        expect(threw).toBe(true)
        expect(await new ChunkedStore(kv, "tstful").load()).toBe("old value")
        for (let i = 0; i <= n; ++i) await kv.remove("tstfill" + i)
        await store.save("new value")
        expect(await new ChunkedStore(kv, "tstful").load()).toBe("new value")
        await clearAndCheck(kv, "tstful")
    })
})
