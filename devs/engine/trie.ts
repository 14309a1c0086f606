// A digit trie packed into one Buffer, so that a site with a thousand
// extensions costs kilobytes, not a heap full of objects, on a 64 KB ESP32.
//
// Node layout, 6 bytes (first-child / next-sibling form):
//   0-1 first child (u16, 0 = none; node 0 is a root, never a child)
//   2-3 next sibling (u16, 0 = none)
//   4   low nibble: the digit on the edge into this node; high nibble: flags
//   5   index of this node's rule list (0 = none)
// Looking up a child walks at most 10 siblings, so a key press costs the
// same whatever the size of the policy.

const NODE = 6

/** Calls that start with this node's digits get their class lifted. */
export const FLAG_ALLOW = 1
/** A dialled prefix to strip (outside line, IP prefix); matching restarts at the outside root. */
export const FLAG_STRIP = 2
/** 00 86, China's own calling code: a national number follows (Matcher); flag 8 is free. */
export const FLAG_NATIONAL = 4

export class PackedTrie {
    buf: Buffer
    count: number

    /**
     * `spare`: the buffer of a plan no longer used, taken (cleared) when
     * it is large enough: a new plan then needs no allocation of this
     * size, which a fragmented heap may not have (a board replacing its
     * plan).
     */
    constructor(capacity: number, spare?: Buffer) {
        const n = NODE * (capacity < 4 ? 4 : capacity)
        if (spare && spare.length >= n) {
            // (a loop: fillAt is the VM's only, fill Node's only)
            for (let i = 0; i < spare.length; ++i) spare[i] = 0
            this.buf = spare
        } else this.buf = Buffer.alloc(n)
        this.count = 0
    }

    /** Adds an empty root node and returns its index. */
    addRoot(): number {
        return this.newNode(0)
    }

    private u16(at: number): number {
        return this.buf[at] | (this.buf[at + 1] << 8)
    }

    private setU16(at: number, v: number) {
        this.buf[at] = v & 0xff
        this.buf[at + 1] = v >> 8
    }

    private newNode(digit: number): number {
        if ((this.count + 1) * NODE > this.buf.length) {
            const bigger = Buffer.alloc(this.buf.length * 2)
            for (let i = 0; i < this.buf.length; ++i) bigger[i] = this.buf[i]
            this.buf = bigger
        }
        if (this.count >= 0xffff) throw new Error("dial plan too large")
        const n = this.count++
        this.buf[n * NODE + 4] = digit
        return n
    }

    /** The child of `node` along digit `d` (0-9), or -1. */
    child(node: number, d: number): number {
        let c = this.u16(node * NODE)
        while (c !== 0) {
            if ((this.buf[c * NODE + 4] & 0xf) === d) return c
            c = this.u16(c * NODE + 2)
        }
        return -1
    }

    hasChildren(node: number): boolean {
        return this.u16(node * NODE) !== 0
    }

    flags(node: number): number {
        return this.buf[node * NODE + 4] >> 4
    }

    ruleList(node: number): number {
        return this.buf[node * NODE + 5]
    }

    /** Walks `digits` from `root`, creating nodes, and returns the last one. */
    insert(root: number, digits: string): number {
        let node = root
        for (let i = 0; i < digits.length; ++i) {
            const d = digits.charCodeAt(i) - 48
            let c = this.child(node, d)
            if (c < 0) {
                c = this.newNode(d)
                this.setU16(c * NODE + 2, this.u16(node * NODE))
                this.setU16(node * NODE, c)
            }
            node = c
        }
        return node
    }

    addFlags(node: number, f: number) {
        this.buf[node * NODE + 4] |= f << 4
    }

    setRuleList(node: number, list: number) {
        if (list > 255) throw new Error("too many distinct rule lists")
        this.buf[node * NODE + 5] = list
    }

    /** Drops unused capacity once the plan is built, when worth a copy. */
    trim() {
        const used = this.count * NODE
        if (this.buf.length - used < 256 * NODE) return
        const exact = Buffer.alloc(used)
        for (let i = 0; i < used; ++i) exact[i] = this.buf[i]
        this.buf = exact
    }

    bytes(): number {
        return this.buf.length
    }
}
