// next.config.mjs for a Next.js 15 app that receives RTMS (Next.js 14: experimental.serverComponentsExternalPackages).
// Required: bundled into the server build, `ws` throws when it sends its first frame ("TypeError: b.mask is
// not a function"), so the SDK never completes a handshake. Loaded from node_modules instead, it works.

/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['rtms-client', 'ws'],
};

export default nextConfig;
