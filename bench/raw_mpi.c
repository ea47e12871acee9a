/* Raw MPI baselines on this machine, in C, for the ratios in docs/performance.md.
 *   mpirun -np 2 raw_mpi latency          8-byte ping-pong, median one-way µs
 *   mpirun -np 2 raw_mpi bandwidth MiB     large-message ping-pong, GB/s
 *   mpirun -np 4 raw_mpi rate N BATCH      master-worker farm, tasks of 8 bytes, BATCH per message
 *   mpirun -np 4 raw_mpi roundtrip N       one task at a time, master -> worker -> master, median µs
 *   mpirun -np 4 raw_mpi init              MPI_Init + MPI_Finalize only (start-up floor)
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char* mode = argc > 1 ? argv[1] : "init";

    if (strcmp(mode, "latency") == 0) {
        int repeats = 100000;
        double* times = malloc(sizeof(double) * repeats);
        char byte[8] = {0};
        for (int i = 0; i < repeats; ++i) {
            double start = MPI_Wtime();
            if (rank == 0) {
                MPI_Send(byte, 8, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
                MPI_Recv(byte, 8, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else if (rank == 1) {
                MPI_Recv(byte, 8, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                MPI_Send(byte, 8, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
            }
            times[i] = (MPI_Wtime() - start) * 1e6 / 2;
        }
        qsort(times, repeats, sizeof(double), compare);
        if (rank == 0)
            printf("{\"tool\": \"raw_mpi\", \"workload\": \"latency\", \"n\": %d, \"one_way_us\": %.3f}\n", repeats,
                   times[repeats / 2]);
        free(times);
    } else if (strcmp(mode, "bandwidth") == 0) {
        long mib = argc > 2 ? atol(argv[2]) : 256;
        size_t bytes = (size_t)mib << 20;
        char* buffer = malloc(bytes);
        memset(buffer, 1, bytes);
        int repeats = 5;
        double best = 1e30;
        for (int i = 0; i < repeats; ++i) {
            MPI_Barrier(MPI_COMM_WORLD);
            double start = MPI_Wtime();
            if (rank == 0) {
                MPI_Send(buffer, (int)bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
                MPI_Recv(buffer, (int)bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else if (rank == 1) {
                MPI_Recv(buffer, (int)bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                MPI_Send(buffer, (int)bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
            }
            double took = MPI_Wtime() - start;
            if (took < best) best = took;
        }
        if (rank == 0)
            printf("{\"tool\": \"raw_mpi\", \"workload\": \"bandwidth\", \"n\": %ld, \"gb_per_second\": %.3f}\n", mib,
                   2.0 * bytes / best / 1e9);
        free(buffer);
    } else if (strcmp(mode, "rate") == 0 || strcmp(mode, "roundtrip") == 0) {
        int roundtrip = strcmp(mode, "roundtrip") == 0;
        long tasks = argc > 2 ? atol(argv[2]) : 1000000;
        int batch = roundtrip ? 1 : (argc > 3 ? atoi(argv[3]) : 64);
        int workers = size - 1;
        long* message = malloc(sizeof(long) * batch);
        double start = MPI_Wtime();
        double* times = roundtrip ? malloc(sizeof(double) * tasks) : NULL;
        if (rank == 0) {
            long sent = 0, done = 0;
            if (roundtrip) {
                for (long i = 0; i < tasks; ++i) {
                    double t0 = MPI_Wtime();
                    message[0] = i;
                    MPI_Send(message, 1, MPI_LONG, 1, 0, MPI_COMM_WORLD);
                    MPI_Recv(message, 1, MPI_LONG, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                    times[i] = (MPI_Wtime() - t0) * 1e6;
                }
            } else {
                for (int w = 1; w <= workers && sent < tasks; ++w) {
                    for (int k = 0; k < batch; ++k) message[k] = sent + k;
                    MPI_Send(message, batch, MPI_LONG, w, 0, MPI_COMM_WORLD);
                    sent += batch;
                }
                while (done < sent) {
                    MPI_Status status;
                    MPI_Recv(message, batch, MPI_LONG, MPI_ANY_SOURCE, 0, MPI_COMM_WORLD, &status);
                    done += batch;
                    if (sent < tasks) {
                        for (int k = 0; k < batch; ++k) message[k] = sent + k;
                        MPI_Send(message, batch, MPI_LONG, status.MPI_SOURCE, 0, MPI_COMM_WORLD);
                        sent += batch;
                    }
                }
            }
            for (int w = 1; w <= workers; ++w) MPI_Send(message, 0, MPI_LONG, w, 1, MPI_COMM_WORLD);
        } else {
            for (;;) {
                MPI_Status status;
                MPI_Recv(message, batch, MPI_LONG, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
                if (status.MPI_TAG == 1) break;
                int count;
                MPI_Get_count(&status, MPI_LONG, &count);
                for (int k = 0; k < count; ++k) message[k] *= message[k];
                MPI_Send(message, count, MPI_LONG, 0, 0, MPI_COMM_WORLD);
            }
        }
        double took = MPI_Wtime() - start;
        if (rank == 0 && roundtrip) {
            qsort(times, tasks, sizeof(double), compare);
            printf("{\"tool\": \"raw_mpi\", \"workload\": \"roundtrip\", \"n\": %ld, \"median_us\": %.3f}\n", tasks,
                   times[tasks / 2]);
        } else if (rank == 0) {
            printf("{\"tool\": \"raw_mpi\", \"workload\": \"rate\", \"n\": %ld, \"batch\": %d, \"tasks_per_second\": %.1f}\n",
                   tasks, batch, tasks / took);
        }
        free(message);
        free(times);
    }
    MPI_Finalize();
    return 0;
}
