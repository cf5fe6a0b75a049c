/**
 * A private CA and a server certificate for 127.0.0.1 and localhost, made with
 * `openssl` in a temporary directory (`.ci/run` installs openssl when missing).
 */

export interface TestCertificates {
  dir: string;
  /** The CA certificate (PEM), which clients trust. */
  caFile: string;
  /** The server certificate alone. */
  certFile: string;
  /** The server certificate followed by the CA's: a chain the healthcheck can verify. */
  chainFile: string;
  keyFile: string;
  ca: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  let output;
  try {
    output = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error("openssl is not installed: the TLS tests need it (.ci/run installs it)");
    }
    throw error;
  }
  if (!output.success) {
    throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** Makes the CA, the server's key and certificate (signed by the CA), and the chain file. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "sp-tls-" });
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca-key.pem",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=socket-proxy test CA",
    ],
    dir,
  );
  await openssl(
    ["req", ...ec, "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=socket-proxy"],
    dir,
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-out",
      "cert.pem",
      "-days",
      "2",
      "-extfile",
      "server.ext",
    ],
    dir,
  );
  const ca = await Deno.readTextFile(`${dir}/ca.pem`);
  await Deno.writeTextFile(`${dir}/chain.pem`, (await Deno.readTextFile(`${dir}/cert.pem`)) + ca);
  return {
    dir,
    caFile: `${dir}/ca.pem`,
    certFile: `${dir}/cert.pem`,
    chainFile: `${dir}/chain.pem`,
    keyFile: `${dir}/key.pem`,
    ca,
  };
}
