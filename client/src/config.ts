/** Reads the tag's data- attributes once. The collector defaults to the origin the script was served from. */
export interface Config {
  endpoint: string
}

export function readConfig(script: HTMLScriptElement): Config {
  const data = script.dataset
  return {
    endpoint: (data.endpoint || new URL(script.src, location.href).origin).replace(/\/+$/, ''),
  }
}
