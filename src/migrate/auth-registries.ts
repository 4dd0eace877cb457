// Pure: the registries a `.dockerconfigjson` holds entries for, read exactly as the webhook reads auths keys, so
// `https://host`, `host/` and `host` are one registry. Only the keys leave this function, never the credentials.
import { decodeDockerConfig, registryOfAuthKey } from '../admission/docker-config.js';

export function authRegistriesOf(base64DockerConfig: string | undefined): string[] {
  const hosts = Object.keys(decodeDockerConfig(base64DockerConfig).auths).map(registryOfAuthKey);
  return [...new Set(hosts.filter((host) => host !== ''))];
}
