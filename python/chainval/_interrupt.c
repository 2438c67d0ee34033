/* Long C work that Ctrl-C can stop (verify_many, the scan engine).
 *
 * Python runs signal handlers only in the main thread, and only when that
 * thread holds the GIL: a batch that the main thread runs with the GIL
 * released cannot be interrupted until it ends (48 s for 109,000 chains).
 * So the work runs on a worker thread while the calling thread waits in
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

/* ---- Workers kept between calls ----
 *
 * A scan runs one call per batch: a thread started for each one made glibc
 * give every batch a fresh thread cache and hand it an arena whose free
 * memory the last thread had left (its top trimmed back and grown again a
 * page at a time). A worker that ends its call waits for the next instead,
 * up to IDLE_MAX of them; calls from several Python threads at once each get
 * a worker of their own. */

#define IDLE_MAX 4

typedef struct worker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	job *j;    /* the call to run; set by the caller under lock */
	bool quit; /* more than IDLE_MAX idle: end instead of waiting */
	struct worker *next;
} worker;

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static worker *idle;
static size_t n_idle;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A child process has none of its parent's threads: it forgets the idle
 * workers (their memory is the parent's, left as it is) and the lock, which
 * a thread of the parent may have held when it forked. */
static void forget_workers(void)
{
	pthread_mutex_init(&idle_lock, NULL);
	idle = NULL;
	n_idle = 0;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, forget_workers);
}

static void free_worker(worker *w)
{
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

static void *worker_main(void *p)
{
	worker *w = p;
	pthread_setname_np(pthread_self(), "chainval-worker"); /* as top and gdb show it */
	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->j && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		job *j = w->j;
		w->j = NULL;
		pthread_mutex_unlock(&w->lock);
		if (!j)
			break;
		run(j);
	}
	free_worker(w);
	return NULL;
}

/* An idle worker, or a new one; NULL when no thread can be started. */
static worker *take_worker(void)
{
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&idle_lock);
	worker *w = idle;
	if (w) {
		idle = w->next;
		n_idle--;
	}
	pthread_mutex_unlock(&idle_lock);
	if (w)
		return w;
	if (!(w = calloc(1, sizeof(*w))))
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_attr_t attr;
	pthread_t t;
	bool started = pthread_attr_init(&attr) == 0;
	if (started) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&t, &attr, worker_main, w) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!started) {
		free_worker(w);
		return NULL;
	}
	return w;
}

/* @w's call is over: it waits for the next, or ends when enough wait. */
static void give_worker(worker *w)
{
	pthread_mutex_lock(&idle_lock);
	bool keep = n_idle < IDLE_MAX;
	if (keep) {
		w->next = idle;
		idle = w;
		n_idle++;
	}
	pthread_mutex_unlock(&idle_lock);
	if (!keep) {
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
}

int chainval_run_interruptible(void (*fn)(void *), void *arg, void (*cancel)(void *),
                               void *cancel_arg)
{
	job j = {.fn = fn, .arg = arg, .done = false};
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	worker *w = take_worker();
	if (!w) {
		/* No thread: run it here, uninterruptible as before. */
		Py_BEGIN_ALLOW_THREADS
		fn(arg);
		Py_END_ALLOW_THREADS
		pthread_mutex_destroy(&j.lock);
		pthread_cond_destroy(&j.cond);
		return 0;
	}
	pthread_mutex_lock(&w->lock);
	w->j = &j;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
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
	/* Done was set under j.lock, which run() released before wait_slice()
	 * could see it: the worker no longer touches j. */
	give_worker(w);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.cond);
	return ret;
}
