#!/usr/bin/env python3
"""Writes N residents as the import CSV of Linli: valid ID numbers (GB 11643 check
character, birth date), phones, rooms in the demo's buildings. Deterministic (seed 7).

usage: gen_residents.py N BUILDINGS > residents.csv
"""
import random
import sys

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
SUR = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIV = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "建国", "海燕", "志强", "丽华"]


def main():
    n, buildings = int(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(7)
    out = sys.stdout
    out.write("building,unit,room,name,gender,birth_date,relation,residence_type,id_number,phone\n")
    used = set()
    per_building = -(-n // buildings)
    for i in range(n):
        b = i // per_building + 1
        k = i % per_building
        household = k // 3
        unit = household % 3 + 1
        room = f"{household // 6 + 1}0{household % 2 + 1}{(household // 2) % 3}"
        year, month, day = rnd.randint(1935, 2020), rnd.randint(1, 12), rnd.randint(1, 28)
        male = rnd.random() < 0.5
        while True:
            seq = rnd.randrange(500) * 2 + (1 if male else 0)
            first = f"310117{year:04d}{month:02d}{day:02d}{seq:03d}"
            if first not in used:
                used.add(first)
                break
        check = C[sum(int(d) * w for d, w in zip(first, W)) % 11]
        phone = f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}" if year < 2008 else ""
        name = rnd.choice(SUR) + rnd.choice(GIV)
        relation = "head" if k % 3 == 0 else rnd.choice(["spouse", "child", "parent"])
        out.write(f"{b}号楼,{unit},{room},{name},{'M' if male else 'F'},{year:04d}-{month:02d}-{day:02d},{relation},registered,{first}{check},{phone}\n")


main()
