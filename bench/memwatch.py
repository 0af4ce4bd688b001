"""Run a command and report its peak memory: the largest single-process RSS, the sum of RSS over the
process tree (shared pages counted once per process) and the sum of PSS (shared pages split),
sampled every second (PSS every 5 s, reading smaps is slow). Used for the 1M row of
docs/performance.md:

    /usr/bin/time -v .venv/bin/python bench/memwatch.py .venv/bin/retold scan bench/data/corpus-1000000-s0/corpus.jsonl --out r --workers 2
"""
import subprocess, sys, time, psutil
t0=time.time()
p=subprocess.Popen(sys.argv[1:])
ps=psutil.Process(p.pid)
peak={"max_rss":0,"sum_rss":0,"sum_pss":0}; when={}
i=0
while p.poll() is None:
    try:
        procs=[ps]+ps.children(recursive=True)
        rss=[];pss=[]
        for q in procs:
            try:
                if i%5==0: m=q.memory_full_info(); pss.append(m.pss); rss.append(m.rss)
                else: rss.append(q.memory_info().rss)
            except psutil.Error: pass
        cur={"max_rss":max(rss),"sum_rss":sum(rss)}
        if pss: cur["sum_pss"]=sum(pss)
        for k,v in cur.items():
            if v>peak[k]: peak[k]=v; when[k]=time.time()-t0
    except (psutil.Error, ValueError): pass
    i+=1
    time.sleep(1)
print("wall %.1f s" % (time.time()-t0), {k:"%.2f GB @%.0fs"%(v/2**30, when.get(k,0)) for k,v in peak.items()}, file=sys.stderr)
