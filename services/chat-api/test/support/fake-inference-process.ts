/**
 * Runs the fake inference as its own process (so a test can SIGKILL it mid-stream, or
 * measure it apart from chat-api). Announces `{"port":N}` on stdout; driven over HTTP.
 */
import { FakeInference } from './fake-inference.js';

const fake = await new FakeInference(process.env.INTERNAL_API_KEY ?? '').start();
process.stdout.write(`${JSON.stringify({ port: Number(new URL(fake.url).port) })}\n`);
process.once('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
