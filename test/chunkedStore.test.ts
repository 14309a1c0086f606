import { describe, expect, test } from "vitest"
import {
    ChunkedStore,
    KeyValueStore,
    MAX_CHUNK_BYTES,
    MAX_CHUNK_CHARS,
    fnv1a,
} from "../devs/store/chunkedStore"

class Crash extends Error {}

/**
 * In-memory store that "loses power" after a number of writes/removes:
 * that operation and every later one throws without effect. With `tear` the
 * fatal write first stores half of its value (a torn flash write).
 */
class MemoryKV implements KeyValueStore {
    data: Record<string, string> = {}
    ops = 0
    opsLeft = Infinity
    tear = false

    crashAfter(n: number, tear = false) {
        this.opsLeft = n
        this.tear = tear
    }
    /** Power back on: same data, no crash pending. */
    restart() {
        this.opsLeft = Infinity
    }
    private op(key: string, value?: string) {
        if (this.opsLeft <= 0) {
            if (this.tear && value !== undefined && this.opsLeft === 0)
                this.data[key] = value.slice(0, value.length >> 1)
            this.opsLeft = -1
            throw new Crash("power lost")
        }
        this.opsLeft--
        this.ops++
    }
    async read(key: string) {
        return this.data[key]
    }
    async write(key: string, value: string) {
        expect(key.length).toBeLessThanOrEqual(13)
        this.op(key, value)
        this.data[key] = value
    }
    async remove(key: string) {
        this.op(key)
        delete this.data[key]
    }
}

function text(n: number, alphabet: string): string {
    let s = ""
    for (let i = 0; s.length < n; ++i) s += alphabet[(i * 7) % alphabet.length]
    return s.slice(0, n)
}

const SHORT = "hello, DialGuard"
const KB10 = text(10240, 'abcdefghijklmnopqrstuvwxyz0123456789 {}":,\\')
const CHINESE = text(500, "电话管理制度前台声讯台长途市话国际停机") + "😀 end"

async function saved(kv: MemoryKV, value: string): Promise<void> {
    await new ChunkedStore(kv, "pol").save(value)
}

async function loaded(kv: MemoryKV): Promise<string | undefined> {
    return await new ChunkedStore(kv, "pol").load()
}

describe("fnv1a", () => {
    test("matches the published FNV-1a 32-bit vectors", () => {
        expect(fnv1a("")).toBe(0x811c9dc5)
        expect(fnv1a("a")).toBe(0xe40c292c)
        expect(fnv1a("foobar")).toBe(0xbf9cf968)
        expect(fnv1a("bar", fnv1a("foo"))).toBe(fnv1a("foobar"))
    })
})

describe("round trip", () => {
    for (const [label, value] of [
        ["short", SHORT],
        ["empty", ""],
        ["10 KB", KB10],
        ["Chinese", CHINESE],
    ]) {
        test(label, async () => {
            const kv = new MemoryKV()
            const store = new ChunkedStore(kv, "pol")
            expect(await store.load()).toBe(undefined)
            await store.save(value)
            expect(await store.load()).toBe(value)
            // a fresh instance (after a restart) reads the same
            expect(await loaded(kv)).toBe(value)
        })
    }

    test("chunks respect the key, character and UTF-8 limits", async () => {
        const kv = new MemoryKV()
        await saved(kv, KB10)
        await saved(kv, CHINESE)
        const keys = Object.keys(kv.data)
        expect(keys.length).toBeGreaterThan(50)
        for (const k of keys) {
            expect(k.length).toBeLessThanOrEqual(13)
            expect(kv.data[k].length).toBeLessThanOrEqual(MAX_CHUNK_CHARS)
            expect(Buffer.byteLength(kv.data[k])).toBeLessThanOrEqual(
                MAX_CHUNK_BYTES
            )
            // no chunk ends inside a surrogate pair (Buffer would mangle it)
            expect(Buffer.from(kv.data[k]).toString()).toBe(kv.data[k])
        }
        // Chinese: 3 bytes a character, so 66 characters a chunk
        expect(kv.data["polb0"].length).toBe(66)
        expect(kv.data["pola0"].length).toBe(MAX_CHUNK_BYTES)
    })

    test("a chunk never ends inside a UTF-16 surrogate pair", async () => {
        // "éé" (4 bytes) shifts the pairs so that the byte limit falls
        // between the two halves of an emoji
        const value = "éé" + text(400, "😀🀄")
        const kv = new MemoryKV()
        await saved(kv, value)
        expect(await loaded(kv)).toBe(value)
        expect(kv.data["pola0"].length).toBe(66)
        for (const k of Object.keys(kv.data))
            expect(Buffer.from(kv.data[k]).toString()).toBe(kv.data[k])
    })

    test("successive saves alternate slots and keep the newest", async () => {
        const kv = new MemoryKV()
        const store = new ChunkedStore(kv, "pol")
        for (let i = 0; i < 5; ++i) {
            await store.save("v" + i)
            expect(await loaded(kv)).toBe("v" + i)
        }
        expect(kv.data["pola0"]).toBe("v4")
        expect(kv.data["polb0"]).toBe("v3")
        expect(kv.data["polah"].startsWith("5:1:")).toBe(true)
    })

    test("stores with different names don't mix", async () => {
        const kv = new MemoryKV()
        await new ChunkedStore(kv, "x").save("one")
        await new ChunkedStore(kv, "xa").save("two")
        expect(await new ChunkedStore(kv, "x").load()).toBe("one")
        expect(await new ChunkedStore(kv, "xa").load()).toBe("two")
    })

    test("rejects bad names and concurrent saves", async () => {
        const kv = new MemoryKV()
        expect(() => new ChunkedStore(kv, "")).toThrow(RangeError)
        expect(() => new ChunkedStore(kv, "toolong")).toThrow(RangeError)
        const store = new ChunkedStore(kv, "pol")
        const first = store.save(KB10)
        await expect(store.save("x")).rejects.toThrow(/concurrent/)
        await first
        expect(await store.load()).toBe(KB10)
    })
})

describe("stale chunks", () => {
    test("a shorter value doesn't pick up chunks of a longer old one", async () => {
        const kv = new MemoryKV()
        const store = new ChunkedStore(kv, "pol")
        await store.save(KB10) // slot a, 52 chunks
        await store.save(SHORT) // slot b
        await store.save("tiny") // slot a again, over the 10 KB
        expect(await loaded(kv)).toBe("tiny")
        expect(Object.keys(kv.data).sort()).toEqual([
            "pola0",
            "polah",
            "polb0",
            "polbh",
        ])
    })

    test("leftovers of an interrupted cleanup are ignored and removed later", async () => {
        const kv = new MemoryKV()
        await saved(kv, "old")
        await saved(kv, KB10) // slot b
        await saved(kv, "old2") // slot a
        // crash during the cleanup after the header of slot b: 2 of 52 chunks removed
        const writesBeforeCleanup = 3 // remove header, 1 chunk, header
        kv.crashAfter(writesBeforeCleanup + 2)
        await new ChunkedStore(kv, "pol").save("new") // committed: no throw
        kv.restart()
        expect(await loaded(kv)).toBe("new")
        // removed from the top down: no gap below the leftovers
        expect(kv.data["polb51"]).toBe(undefined)
        expect(kv.data["polb50"]).toBe(undefined)
        expect(kv.data["polb49"]).toBe(KB10.slice(49 * 200, 50 * 200))
        expect(kv.data["polb1"]).toBe(KB10.slice(200, 400))
        // the next save into slot b finishes the cleanup
        const store = new ChunkedStore(kv, "pol")
        await store.save("x")
        await store.save("y")
        expect(await loaded(kv)).toBe("y")
        expect(Object.keys(kv.data).length).toBe(4)
    })
})

describe("clear", () => {
    test("removes every key of the store and only of that store", async () => {
        const kv = new MemoryKV()
        await new ChunkedStore(kv, "other").save("keep me")
        const store = new ChunkedStore(kv, "pol")
        await store.save(KB10)
        await store.save(CHINESE)
        await store.clear()
        expect(await store.load()).toBe(undefined)
        expect(await loaded(kv)).toBe(undefined)
        expect(Object.keys(kv.data).sort()).toEqual(["othera0", "otherah"])
        await store.save("again")
        expect(await loaded(kv)).toBe("again")
    })
})

describe("crash during save", () => {
    // Writes and removes one save() performs from `before` to `after`.
    async function opsOfSave(before: string, after: string): Promise<number> {
        const kv = new MemoryKV()
        await saved(kv, "older")
        await saved(kv, before)
        const start = kv.ops
        await saved(kv, after)
        return kv.ops - start
    }

    const cases: [string, string, string][] = [
        ["short to 10 KB", SHORT, KB10],
        ["10 KB to short", KB10, SHORT],
        ["Chinese to empty", CHINESE, ""],
        ["empty to Chinese", "", CHINESE],
    ]
    for (const tear of [false, true]) {
        for (const [label, before, after] of cases) {
            test(label + (tear ? ", torn write" : ""), async () => {
                const total = await opsOfSave(before, after)
                expect(total).toBeGreaterThan(2)
                let sawOld = 0
                let sawNew = 0
                for (let k = 0; k <= total; ++k) {
                    const kv = new MemoryKV()
                    await saved(kv, "older")
                    await saved(kv, before)
                    kv.crashAfter(k, tear)
                    let threw = false
                    try {
                        await saved(kv, after)
                    } catch (e) {
                        expect(e).toBeInstanceOf(Crash)
                        threw = true
                    }
                    kv.restart()
                    const v = await loaded(kv)
                    if (threw) {
                        expect(v === before || v === after).toBe(true)
                    } else {
                        expect(v).toBe(after)
                    }
                    if (v === before) sawOld++
                    else sawNew++
                    // after the restart the store keeps working
                    const store = new ChunkedStore(kv, "pol")
                    await store.load()
                    await store.save("later " + k)
                    expect(await loaded(kv)).toBe("later " + k)
                    expect(await store.load()).toBe("later " + k)
                }
                // the header is the commit point: old before it, new after
                expect(sawOld).toBeGreaterThan(0)
                expect(sawNew).toBeGreaterThan(0)
            })
        }
    }

    test("repeated crashes at random points never lose the last committed value", async () => {
        let seed = 12345
        const rand = (n: number) => {
            seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
            return seed % n
        }
        const values = [SHORT, KB10, CHINESE, "", "x", text(700, "前台ab")]
        const kv = new MemoryKV()
        let committed: string | undefined = undefined
        for (let round = 0; round < 200; ++round) {
            const next = values[rand(values.length)] + round
            kv.crashAfter(rand(60), rand(2) === 1)
            const store = new ChunkedStore(kv, "pol")
            let ok = true
            try {
                expect(await store.load()).toBe(committed)
                await store.save(next)
            } catch (e) {
                expect(e).toBeInstanceOf(Crash)
                ok = false
            }
            kv.restart()
            const v = await loaded(kv)
            if (ok) expect(v).toBe(next)
            else expect(v === committed || v === next).toBe(true)
            committed = v
        }
        expect(committed).not.toBe(undefined)
    })
})

describe("corruption", () => {
    test("a damaged newest slot falls back to the other one", async () => {
        const kv = new MemoryKV()
        await saved(kv, "old")
        await saved(kv, KB10) // slot b
        kv.data["polb7"] = "X" + kv.data["polb7"].slice(1)
        expect(await loaded(kv)).toBe("old")
        // and the next save overwrites the damaged slot, not the good one
        const store = new ChunkedStore(kv, "pol")
        await store.load()
        kv.crashAfter(2)
        await expect(store.save("new")).rejects.toThrow(Crash)
        kv.restart()
        expect(await loaded(kv)).toBe("old")
    })

    test("a missing chunk or a malformed header invalidates the slot", async () => {
        const kv = new MemoryKV()
        await saved(kv, "old")
        await saved(kv, KB10)
        delete kv.data["polb3"]
        expect(await loaded(kv)).toBe("old")
        kv.data["polah"] = "1:1:x" + kv.data["polah"].split(":")[2]
        expect(await loaded(kv)).toBe(undefined)
    })
})
