/* Long C work that Ctrl-C can stop (verify_many, the scan engine).
 *
 * Python runs signal handlers only in the main thread, and only when that
 * thread holds the GIL: a batch that the main thread runs with the GIL
 * released cannot be interrupted until it ends (48 s for 109,000 chains).
 * So the work runs on a thread of its own while the calling thread waits in
 * slices of 50 ms, taking the GIL between them to run pending handlers
 * (PyErr_CheckSignals). A handler that raises (KeyboardInterrupt) makes the
 * caller cancel the work (chain_batch_cancel: workers stop between chains),
 * wait for it to end, and return -1 with that exception set. */
#include "_chainval.h"

#include <errno.h>
#include <time.h>

typedef struct {
	void (*fn)(void *);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
} job;

static void *run(void *p)
{
	job *j = p;
	j->fn(j->arg);
	pthread_mutex_lock(&j->lock);
	j->done = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* Wait up to 50 ms for the job; true when it is done. Called without the GIL. */
static bool wait_slice(job *j)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 50 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->lock);
	while (!j->done && pthread_cond_timedwait(&j->cond, &j->lock, &until) != ETIMEDOUT)
		;
	bool done = j->done;
	pthread_mutex_unlock(&j->lock);
	return done;
}

int chainval_run_interruptible(void (*fn)(void *), void *arg, void (*cancel)(void *),
                               void *cancel_arg)
{
	job j = {.fn = fn, .arg = arg, .done = false};
	pthread_t t;
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	if (pthread_create(&t, NULL, run, &j) != 0) {
		/* No thread: run it here, uninterruptible as before. */
		Py_BEGIN_ALLOW_THREADS
		fn(arg);
		Py_END_ALLOW_THREADS
		pthread_mutex_destroy(&j.lock);
		pthread_cond_destroy(&j.cond);
		return 0;
	}
	int ret = 0;
	for (;;) {
		bool done;
		Py_BEGIN_ALLOW_THREADS
		done = wait_slice(&j);
		Py_END_ALLOW_THREADS
		if (done)
			break;
		if (ret == 0 && PyErr_CheckSignals() < 0) {
			ret = -1; /* the handler's exception stays set */
			cancel(cancel_arg);
		}
	}
	Py_BEGIN_ALLOW_THREADS
	pthread_join(t, NULL);
	Py_END_ALLOW_THREADS
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.cond);
	return ret;
}
