/**
 * The tests spawn their redis-server with the benchmark's spawner: one implementation for both
 * (the benchmark is compiled on its own, so the shared code lives on its side).
 */
export { freePort, spawnRedis, type SpawnedRedis } from '../../bench/lib/redis-server';
