// Raw bytes on a new connection, for requests no HTTP client would send: resolves with whatever
// the server wrote once it has closed the connection.
import { once } from 'node:events';
import { connect } from 'node:net';

export async function sendRaw(port: number, bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => undefined); // the server may reset after answering
  await once(socket, 'connect');
  socket.write(bytes);
  await once(socket, 'close');
  return answer;
}
