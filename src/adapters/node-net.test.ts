import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { NetError } from "../ports/index.js";
import { nodeHttpClient, nodeTcpConnector } from "./node-net.js";

/** A port on 127.0.0.1 that nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("nodeHttpClient", () => {
  it("returns the status without following redirects", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(302, { location: "/elsewhere" }).end("moved");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await nodeHttpClient.get(`http://127.0.0.1:${port}/`)).toEqual({ status: 302 });
    } finally {
      server.close();
    }
  });

  it("rejects with a NetError of kind refused for a closed port", async () => {
    const port = await closedPort();
    const failure = nodeHttpClient.get(`http://127.0.0.1:${port}/health`);
    await expect(failure).rejects.toBeInstanceOf(NetError);
    await expect(failure).rejects.toMatchObject({
      kind: "refused",
      message: `connection refused by http://127.0.0.1:${port}/health`,
    });
  });

  it("rejects invalid URLs and unsupported protocols", async () => {
    await expect(nodeHttpClient.get("not a url")).rejects.toMatchObject({ kind: "other" });
    await expect(nodeHttpClient.get("ftp://127.0.0.1/")).rejects.toThrow(/unsupported protocol/);
  });
});

describe("nodeTcpConnector", () => {
  it("connects to a listening port and refuses a closed one", async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(nodeTcpConnector.connect("127.0.0.1", port)).resolves.toBeUndefined();
    } finally {
      server.close();
    }
    const closed = await closedPort();
    await expect(nodeTcpConnector.connect("127.0.0.1", closed)).rejects.toMatchObject({
      kind: "refused",
      target: `127.0.0.1:${closed}`,
    });
  });

  it("gives up when the signal aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      nodeTcpConnector.connect("127.0.0.1", 1, { signal: controller.signal }),
    ).rejects.toMatchObject({ kind: "aborted" });
  });
});
