import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"

describe("smoke", () => {
    test("arithmetic", () => {
        expect(1 + 1).toBe(2)
    })
    test("async", async () => {
        await ds.sleep(1)
        expect("a" + "b").toBe("ab")
    })
})
