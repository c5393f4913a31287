import type {AddressInfo} from 'node:net'

/**
 * A minimal OpenAI-compatible model on 127.0.0.1 (chat completions, streaming or not, /v1/models),
 * so real agent turns run offline. It lives in the test process: keep every child call async.
 */
import http from 'node:http'

export type MockLlm = {
  baseUrl: string
  close(): Promise<void>
  port: number
  requests: number
}

export function startMockLlm(): Promise<MockLlm> {
  let n = 0
  const state = {requests: 0}
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString('utf8')))
    req.on('end', () => {
      state.requests++
      if (req.url?.endsWith('/models')) {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({data: [{id: 'mock-model', object: 'model', owned_by: 'mock'}], object: 'list'}))
        return
      }

      let request: {model?: string; stream?: boolean} = {}
      try {
        request = JSON.parse(body || '{}')
      } catch {}

      const text = `mock reply #${++n}`
      const id = `chatcmpl-mock${n}`
      const created = Math.floor(Date.now() / 1000)
      const model = request.model ?? 'mock-model'
      if (request.stream) {
        res.writeHead(200, {'cache-control': 'no-cache', 'content-type': 'text/event-stream'})
        const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`)
        send({
          choices: [{delta: {content: '', role: 'assistant'}, finish_reason: null, index: 0}],
          created,
          id,
          model,
          object: 'chat.completion.chunk',
        })
        send({
          choices: [{delta: {content: text}, finish_reason: null, index: 0}],
          created,
          id,
          model,
          object: 'chat.completion.chunk',
        })
        send({
          choices: [{delta: {}, finish_reason: 'stop', index: 0}],
          created,
          id,
          model,
          object: 'chat.completion.chunk',
          usage: {completion_tokens: 3, prompt_tokens: 10, total_tokens: 13},
        })
        res.end('data: [DONE]\n\n')
      } else {
        res.setHeader('content-type', 'application/json')
        res.end(
          JSON.stringify({
            choices: [{finish_reason: 'stop', index: 0, message: {content: text, role: 'assistant'}}],
            created,
            id,
            model,
            object: 'chat.completion',
            usage: {completion_tokens: 3, prompt_tokens: 10, total_tokens: 13},
          }),
        )
      }
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as AddressInfo
      resolve({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections()
            server.close(() => {
              r()
            })
          }),
        port,
        get requests() {
          return state.requests
        },
      })
    })
  })
}
