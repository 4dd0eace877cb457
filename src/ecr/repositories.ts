// ECR repository management for `ecr-anywhere mirror`: create what is missing, list by prefix, count and delete
// images, delete repositories. The SDK stays in src/ecr; callers get plain data and EcrAnywhereErrors.
import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import { ecrClients, toEcrError } from './adapter.js';

export interface RepositoryOptions {
  readonly immutableTags: boolean;
  readonly scanOnPush: boolean;
}

export interface ImageId {
  readonly digest: string;
  readonly tags: readonly string[];
}

export interface EcrRepositories {
  /** Creates the repository; 'exists' when it was already there. */
  ensure(name: string, options: RepositoryOptions): Promise<'created' | 'exists'>;
  /** Names of the repositories whose names start with `prefix` (every page). */
  list(prefix: string): Promise<string[]>;
  images(name: string): Promise<ImageId[]>;
  /** Deletes the images by digest (in batches of 100, ECR's limit); returns how many were deleted. */
  deleteImages(name: string, digests: readonly string[]): Promise<number>;
  /** Deletes an empty repository (never `force`: an image pushed meanwhile makes it fail instead of vanish). */
  deleteRepository(name: string): Promise<void>;
}

const PAGE_BOUND = 10_000;
const BATCH_DELETE_LIMIT = 100;

export function createEcrRepositories(options: { readonly region: string; readonly registryId: string | undefined; readonly timeoutMs: number; readonly maxAttempts: number }): EcrRepositories {
  const client: ECRClient = ecrClients(options)(options.region);
  const registryId = options.registryId;
  const send = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof EcrAnywhereError) throw error;
      throw toEcrError(error, options.region, options.timeoutMs, operation, "mirror's");
    }
  };
  const signal = (): { abortSignal: AbortSignal } => ({ abortSignal: AbortSignal.timeout(options.timeoutMs) });

  return {
    ensure: (name, repositoryOptions) =>
      send('CreateRepository', async () => {
        try {
          await client.send(
            new CreateRepositoryCommand({
              registryId,
              repositoryName: name,
              imageTagMutability: repositoryOptions.immutableTags ? 'IMMUTABLE' : 'MUTABLE',
              imageScanningConfiguration: { scanOnPush: repositoryOptions.scanOnPush },
            }),
            signal(),
          );
          return 'created';
        } catch (error) {
          if ((error as { name?: string }).name === 'RepositoryAlreadyExistsException') return 'exists';
          throw error;
        }
      }),
    list: (prefix) =>
      send('DescribeRepositories', async () => {
        const names: string[] = [];
        let nextToken: string | undefined;
        for (let page = 0; page < PAGE_BOUND; page += 1) {
          const output = await client.send(new DescribeRepositoriesCommand({ registryId, nextToken, maxResults: 1000 }), signal());
          for (const repository of output.repositories ?? []) {
            if (repository.repositoryName?.startsWith(prefix)) names.push(repository.repositoryName);
          }
          nextToken = output.nextToken;
          if (nextToken === undefined) return names.sort();
        }
        throw new EcrAnywhereError(ErrorCodes.ECR_UNAVAILABLE, `ECR DescribeRepositories returned more than ${PAGE_BOUND} pages`);
      }),
    images: (name) =>
      send('DescribeImages', async () => {
        const images: ImageId[] = [];
        let nextToken: string | undefined;
        for (let page = 0; page < PAGE_BOUND; page += 1) {
          const output = await client.send(new DescribeImagesCommand({ registryId, repositoryName: name, nextToken, maxResults: 1000 }), signal());
          for (const image of output.imageDetails ?? []) {
            if (image.imageDigest !== undefined) images.push({ digest: image.imageDigest, tags: image.imageTags ?? [] });
          }
          nextToken = output.nextToken;
          if (nextToken === undefined) return images;
        }
        throw new EcrAnywhereError(ErrorCodes.ECR_UNAVAILABLE, `ECR DescribeImages of ${name} returned more than ${PAGE_BOUND} pages`);
      }),
    deleteImages: (name, digests) =>
      send('BatchDeleteImage', async () => {
        let deleted = 0;
        for (let start = 0; start < digests.length; start += BATCH_DELETE_LIMIT) {
          const imageIds: ImageIdentifier[] = digests.slice(start, start + BATCH_DELETE_LIMIT).map((imageDigest) => ({ imageDigest }));
          const output = await client.send(new BatchDeleteImageCommand({ registryId, repositoryName: name, imageIds }), signal());
          const failure = output.failures?.find((entry) => entry.failureCode !== 'ImageNotFound');
          if (failure !== undefined) {
            throw new EcrAnywhereError(ErrorCodes.MIRROR_CLEANUP_REFUSED, `ECR BatchDeleteImage in ${name} failed for ${failure.imageId?.imageDigest ?? 'an image'}: ${failure.failureCode ?? ''} ${failure.failureReason ?? ''}`.trim());
          }
          deleted += output.imageIds?.length ?? 0;
        }
        return deleted;
      }),
    deleteRepository: (name) =>
      send('DeleteRepository', async () => {
        await client.send(new DeleteRepositoryCommand({ registryId, repositoryName: name }), signal());
      }),
  };
}
